"""The knowledge base through the API: supervisors write, everyone on the team reads, edits need
the version they were based on, archived articles stop being suggested; the articles that
answer a case. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from escalon.admin_audit.models import AdminAuditEntry
from escalon.knowledge.articles import read_folder
from escalon.knowledge.service import import_articles
from escalon.learning import topic_runs
from tests.builders.cases import open_case
from tests.builders.dashboard import signed_in
from tests.builders.knowledge import (
    INTERNAL,
    PASSWORD,
    REFUND,
    cannot_sign_in,
    write_article,
    write_articles,
)
from tests.builders.paths import REPO
from tests.builders.topics import escalated_themes
from tests.builders.workspace import Workspace

HELP_CENTRE = REPO / "bench" / "kb_articles"


def patch(ws: Workspace, slug: str, body: dict[str, Any], version: str | None) -> Any:
    headers = ws.headers("supervisor", **({"If-Match": version} if version else {}))
    return ws.client.patch(f"/api/v1/kb/articles/{slug}", json=body, headers=headers)


def test_a_supervisor_writes_an_article_everyone_reads_it_and_names_are_unique(
    workspace: Workspace,
) -> None:
    written = write_article(workspace, PASSWORD)
    assert written.status_code == 201, written.text
    assert written.headers["ETag"] == '"1"'
    body = written.json()
    assert (body["slug"], body["audience"], body["archived"], body["updated_by"]) == (
        "reset-password",
        "public",
        False,
        "sara",  # the agent the supervisor's user is
    )
    assert write_article(workspace, {**PASSWORD, "title": "Again"}).status_code == 409
    assert write_article(workspace, REFUND, role="agent").status_code == 403
    assert write_article(workspace, {**REFUND, "slug": "../etc"}).status_code == 422
    assert write_article(workspace, {**REFUND, "body": "   "}).status_code == 422
    assert write_article(workspace, {**REFUND, "surprise": 1}).status_code == 422
    for role in ("agent", "integration"):
        read = workspace.client.get(
            "/api/v1/kb/articles/reset-password", headers=workspace.headers(role)
        )
        assert read.status_code == 200
        assert read.json()["title"] == "Reset your password"
    missing = workspace.client.get("/api/v1/kb/articles/nothing", headers=workspace.headers())
    assert missing.status_code == 404
    with workspace.database.read() as session:
        audited = session.query(AdminAuditEntry).filter_by(action="article.created").all()
    assert [entry.target for entry in audited] == ["article:reset-password"]


def test_the_list_narrows_by_words_category_and_readers(workspace: Workspace) -> None:
    write_articles(workspace, PASSWORD, REFUND, INTERNAL)

    def slugs(query: str) -> list[str]:
        answer = workspace.client.get(f"/api/v1/kb/articles{query}", headers=workspace.headers())
        assert answer.status_code == 200, answer.text
        return [article["slug"] for article in answer.json()]

    assert slugs("") == ["fraud-checks", "refund-policy", "reset-password"]  # by title
    assert slugs("?q=REFUND five") == ["refund-policy"]
    assert slugs("?category=billing") == ["fraud-checks", "refund-policy"]
    assert slugs("?audience=internal") == ["fraud-checks"]
    assert slugs("?q=%25") == []  # '%' is looked for, not a wildcard
    # An integration may show what it reads to customers: public articles in use only.
    robot = workspace.headers("integration")
    listed = workspace.client.get("/api/v1/kb/articles", headers=robot).json()
    assert [article["slug"] for article in listed] == ["refund-policy", "reset-password"]
    hidden = workspace.client.get("/api/v1/kb/articles?audience=internal", headers=robot)
    assert hidden.json() == []
    staff_only = workspace.client.get("/api/v1/kb/articles/fraud-checks", headers=robot)
    assert staff_only.status_code == 404


def test_a_change_needs_the_version_it_was_based_on(workspace: Workspace) -> None:
    write_articles(workspace, REFUND)
    assert patch(workspace, "refund-policy", {"title": "Refunds"}, None).status_code == 428
    first = patch(workspace, "refund-policy", {"title": "Refunds"}, '"1"')
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["title"]) == (2, "Refunds")
    assert first.headers["ETag"] == '"2"'
    stale = patch(workspace, "refund-policy", {"title": "Lost edit"}, '"1"')
    assert stale.status_code == 412
    again = workspace.client.get("/api/v1/kb/articles/refund-policy", headers=workspace.headers())
    assert again.json()["title"] == "Refunds"
    assert patch(workspace, "refund-policy", {"title": None}, '"2"').status_code == 422
    agent = workspace.client.patch(
        "/api/v1/kb/articles/refund-policy",
        json={"title": "Mine"},
        headers=workspace.headers("agent", **{"If-Match": '"2"'}),
    )
    assert agent.status_code == 403


def test_the_articles_that_answer_a_case_best_first_and_never_archived_ones(
    workspace: Workspace,
) -> None:
    write_articles(workspace, PASSWORD, REFUND, INTERNAL)
    case_id = cannot_sign_in(workspace)

    def suggested() -> list[str]:
        answer = workspace.client.get(
            f"/api/v1/cases/{case_id}/articles", headers=workspace.headers("agent")
        )
        assert answer.status_code == 200, answer.text
        return [found["slug"] for found in answer.json()]

    assert suggested()[0] == "reset-password"
    archived = patch(workspace, "reset-password", {"archived": True}, '"1"')
    assert archived.status_code == 200, archived.text
    assert "reset-password" not in suggested()
    listed = workspace.client.get("/api/v1/kb/articles", headers=workspace.headers()).json()
    assert "reset-password" not in [article["slug"] for article in listed]
    hidden = workspace.client.get("/api/v1/kb/articles?archived=true", headers=workspace.headers())
    assert [article["slug"] for article in hidden.json()] == ["reset-password"]
    assert (
        workspace.client.get(
            "/api/v1/cases/999999/articles", headers=workspace.headers("agent")
        ).status_code
        == 404
    )
    assert (
        workspace.client.get(
            f"/api/v1/cases/{case_id}/articles", headers=workspace.headers("integration")
        ).status_code
        == 403
    )


def test_no_article_yet_suggests_nothing(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    answer = workspace.client.get(
        f"/api/v1/cases/{case_id}/articles", headers=workspace.headers("agent")
    )
    assert answer.status_code == 200
    assert answer.json() == []


def test_gaps_name_the_categories_whose_escalations_no_article_answers(
    workspace: Workspace,
) -> None:
    # A help centre of 27 articles (one per request of the Bitext set); none about the app.
    with workspace.database.write() as session:
        import_articles(
            session, read_folder(HELP_CENTRE), author="test", now=workspace.clock.now_us()
        )
    for subject, body in (
        ("App crash", "The mobile app crashes whenever I upload a photo of my receipt"),
        ("Frozen", "The app freezes on Android since the last update"),
        ("Blank page", "Your website shows a blank page in Safari"),
    ):
        opened = open_case(workspace, subject=subject, body=body, category="technical")
        escalate(workspace, opened["id"])
    password = open_case(
        workspace,
        subject="Forgot password",
        body="I forgot my password and cannot sign in, how do I reset it?",
        category="account",
    )
    escalate(workspace, password["id"])
    answer = workspace.client.get("/api/v1/kb/gaps", headers=workspace.headers("supervisor"))
    assert answer.status_code == 200, answer.text
    rows = {row["category"]: row for row in answer.json()}
    assert (rows["technical"]["escalated"], rows["technical"]["unanswered"]) == (3, 3)
    assert rows["technical"]["gap"] is True
    assert answer.json()[0]["category"] == "technical"  # gaps first
    assert (rows["account"]["unanswered"], rows["account"]["gap"]) == (0, False)
    assert (
        workspace.client.get("/api/v1/kb/gaps", headers=workspace.headers("agent")).status_code
        == 403
    )


def escalate(ws: Workspace, case_id: int) -> None:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/escalations",
        json={"kind": "hierarchical", "to_level": "specialist", "reason": "needs an expert"},
        headers=ws.headers("agent"),
    )
    assert response.status_code == 200, response.text


def test_gaps_also_name_the_recurring_topics_no_article_answers(workspace: Workspace) -> None:
    themed = escalated_themes(workspace)
    topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    with workspace.database.write() as session:
        import_articles(
            session, read_folder(HELP_CENTRE), author="test", now=workspace.clock.now_us()
        )
    answer = workspace.client.get("/api/v1/kb/gaps", headers=workspace.headers("supervisor"))
    assert answer.status_code == 200, answer.text
    topics = [row for row in answer.json() if row["kind"] == "topic"]
    assert len(topics) == 4
    first = topics[0]
    # No article of the help centre is about the app crashing: that topic is the gap.
    assert first["gap"] is True
    assert first["samples"]
    assert set(first["samples"]) <= themed.of("crash")
    assert first["unanswered"] == len(themed.of("crash"))
    answered = [row for row in topics if not row["gap"]]
    assert len(answered) == 3  # refunds, passwords and parcels have their articles
    page = signed_in(workspace, "supervisor").get("/ui/kb").text
    assert f'href="/ui/queue?status=any&amp;topic={first["topic_id"]}"' in page
