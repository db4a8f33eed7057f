"""Articles on their way to the customer: attached by an agent to a reply, or sent with the
acknowledgement when the policy asks and the match is strong; the mail that reaches the customer
carries the link to the public help page. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from escalon.config import Settings
from escalon.demo import policy_text
from escalon.knowledge.articles import read_folder
from escalon.knowledge.models import KnowledgeArticle
from escalon.knowledge.sending import payload_of
from escalon.knowledge.service import import_articles
from escalon.notifications.delivery import deliver_due
from escalon.notifications.outbox import render_body
from tests.builders.cases import open_case
from tests.builders.knowledge import INTERNAL, PASSWORD, REFUND, archive, write_articles
from tests.builders.notifications import outbox
from tests.builders.paths import REPO
from tests.builders.workspace import Workspace
from tests.support.smtp import SmtpServer

PUBLIC = "https://help.test"
WORKSPACE_SETTINGS: dict[str, Any] = {"public_url": PUBLIC}
HELP_CENTRE = REPO / "bench" / "kb_articles"
STRONG_MATCHES = """
knowledge:
  acknowledgement_article: 0.3
"""


def reply(ws: Workspace, case_id: int, articles: list[str], **extra: Any) -> Any:
    return ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": "Here is how.", "articles": articles, **extra},
        headers=ws.headers("agent"),
    )


def test_a_reply_carries_the_articles_link_to_the_customers_mailbox(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    write_articles(workspace, PASSWORD, REFUND)
    case_id = open_case(workspace)["id"]
    sent = reply(workspace, case_id, ["reset-password"])
    assert sent.status_code == 201, sent.text
    [row] = outbox(workspace, kind="reply")
    assert row.payload["articles"] == [
        {
            "slug": "reset-password",
            "title": "Reset your password",
            "version": 1,
            "url": f"{PUBLIC}/help/reset-password",
        }
    ]
    settings = Settings(
        database_url=workspace.database.url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        mail_from="Escalon <escalon@help.test>",
    )
    deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    [mail] = [m for m in smtp_server.recorder.received if m.message["Subject"].startswith("Re:")]
    assert mail.rcpt_tos == ["kim@example.org"]
    text = mail.message.get_content()
    assert "Here is how." in text
    assert f"Reset your password: {PUBLIC}/help/reset-password" in text
    # The customer can open the link: the help page shows the article.
    page = workspace.client.get("/help/reset-password")
    assert page.status_code == 200
    assert "Forgot password" in page.text


def test_only_public_articles_in_use_go_with_a_reply_to_the_customer(
    workspace: Workspace,
) -> None:
    write_articles(workspace, PASSWORD, REFUND, INTERNAL)
    archive(workspace, "refund-policy")
    case_id = open_case(workspace)["id"]
    for articles, said in (
        (["fraud-checks"], "staff only"),
        (["refund-policy"], "no article 'refund-policy'"),
        (["nothing-here"], "no article 'nothing-here'"),
    ):
        refused = reply(workspace, case_id, articles)
        assert refused.status_code == 422, refused.text
        assert said in refused.text
    note = reply(workspace, case_id, ["reset-password"], public=False)
    assert note.status_code == 422
    assert "public reply" in note.text
    many = reply(workspace, case_id, ["reset-password"] * 4)
    assert many.status_code == 422
    customer = workspace.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": "hi", "articles": ["reset-password"]},
        headers=workspace.headers("integration"),
    )
    assert customer.status_code == 422
    assert outbox(workspace, kind="reply") == []  # nothing was queued by a refused reply


def test_without_a_public_address_the_message_carries_the_articles_text() -> None:
    row = KnowledgeArticle(slug="a", title="How to", body="Do **this**.", version=3)
    found = payload_of(row, "")
    assert found == {"slug": "a", "title": "How to", "version": 3, "text": "Do **this**."}
    text = render_body(
        {
            "template": "customer_reply.txt",
            "case": {"id": 7, "team": "frontline"},
            "reply": {"text": "Hello.", "author": "Ana"},
            "articles": [found],
        }
    )
    assert "Hello.\n\nHow to\n\nDo **this**.\n\n--\nAna" in text


def use_policy(ws: Workspace, extra: str) -> None:
    uploaded = ws.client.post(
        "/api/v1/policies",
        json={
            "source": policy_text().replace("\nversion: 1\n", "\nversion: 2\n") + extra,
            "filename": "kb.yaml",
            "activate": True,
        },
        headers=ws.headers(),
    )
    assert uploaded.status_code == 201, uploaded.text


def acknowledgement(ws: Workspace, body: str, subject: str) -> dict[str, Any]:
    case_id = open_case(ws, subject=subject, body=body)["id"]
    [row] = outbox(ws, kind="acknowledgement", case_id=case_id)
    payload: dict[str, Any] = row.payload
    return payload


def test_the_acknowledgement_carries_the_article_that_answers_strongly(
    workspace: Workspace,
) -> None:
    with workspace.database.write() as session:
        import_articles(session, read_folder(HELP_CENTRE), author="t", now=workspace.clock.now_us())
    asked = ("I forgot my password and cannot sign in, how do I reset it?", "Forgot password")
    # Not asked for by the policy: no article.
    assert "articles" not in acknowledgement(workspace, *asked)
    use_policy(workspace, STRONG_MATCHES)
    payload = acknowledgement(workspace, *asked)
    [article] = payload["articles"]
    assert article["slug"] == "recover_password"
    assert article["url"] == f"{PUBLIC}/help/recover_password"
    text = render_body(payload)
    assert f"This article may already answer your question: {article['title']}" in text
    assert article["url"] in text
    # A message no article answers well gets the acknowledgement alone.
    assert "articles" not in acknowledgement(workspace, "The printer is on fire.", "Fire")


def test_the_policy_checks_its_knowledge_section(workspace: Workspace) -> None:
    refused = workspace.client.post(
        "/api/v1/policies",
        json={
            "source": policy_text().replace("\nversion: 1\n", "\nversion: 3\n")
            + "knowledge:\n  acknowledgement_article: 2\n",
            "filename": "kb.yaml",
        },
        headers=workspace.headers(),
    )
    assert refused.status_code == 422
    assert "knowledge.acknowledgement_article" in refused.text
