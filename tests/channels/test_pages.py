"""The customer's signed links on SQLite and PostgreSQL: the survey page and the status page."""

from __future__ import annotations

from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from escalon import keys
from escalon.cases.models import Case
from escalon.channels import links
from escalon.notifications.models import OutboxMessage
from tests.builders.cases import set_status
from tests.builders.workspace import Workspace

DAY_HOURS = 24


def open_case(ws: Workspace, **fields: Any) -> int:
    """Open a case through the API; its id."""
    body = {
        "customer": {"ref": "K-1", "name": "Kim", "email": "kim@example.org", "tier": "enterprise"},
        "subject": "Printer on fire",
        "body": "The printer is on fire.",
        "channel": "email",
        **fields,
    }
    response = ws.client.post("/api/v1/cases", json=body, headers=ws.headers("integration"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def post(ws: Workspace, case_id: int, body: str, *, public: bool = True) -> None:
    """An agent's public reply or internal note."""
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": body, "public": public},
        headers=ws.headers("agent"),
    )
    assert response.status_code == 201, response.text


def now_seconds(ws: Workspace) -> float:
    return ws.clock.now_us() / 1_000_000


def survey_token(ws: Workspace, case_id: int) -> str:
    return links.survey_token(case_id, now=now_seconds(ws))


def status_token(ws: Workspace, case_id: int) -> str:
    return links.status_token(case_id, now=now_seconds(ws))


def audit_kinds(ws: Workspace, case_id: int) -> list[str]:
    trail = ws.client.get(f"/api/v1/cases/{case_id}/audit", headers=ws.headers()).json()
    return [entry["kind"] for entry in trail["items"]]


def survey_score(ws: Workspace, case_id: int) -> int | None:
    with ws.database.read() as session:
        return session.scalar(select(Case.survey_score).where(Case.id == case_id))


def resolved_case(ws: Workspace) -> int:
    case_id = open_case(ws)
    ws.clock.advance(minutes=30)
    set_status(ws, case_id, "resolved")
    return case_id


# -- the survey ----------------------------------------------------------------------------------


def test_the_survey_page_asks_about_a_resolved_case(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)
    page = workspace.client.get(f"/survey/{survey_token(workspace, case_id)}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    assert f"How did we do with case #{case_id} (Printer on fire)?" in page.text
    assert page.text.count('type="radio" name="score"') == 5
    assert 'name="comment"' in page.text


def test_answering_the_survey_records_it_through_the_policy(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)
    url = f"/api/v1/cases/{case_id}"
    before = workspace.client.get(url, headers=workspace.headers()).json()
    escalations = workspace.client.get(f"{url}/escalations", headers=workspace.headers()).json()
    with workspace.database.read() as session:
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    workspace.clock.advance(hours=2)

    token = survey_token(workspace, case_id)
    answer = workspace.client.post(f"/survey/{token}", data={"score": "1", "comment": "slow"})

    assert answer.status_code == 200, answer.text
    assert "Thank you" in answer.text
    assert survey_score(workspace, case_id) == 1
    trail = workspace.client.get(f"{url}/audit", headers=workspace.headers()).json()["items"]
    assert trail[-1]["kind"] == "survey.answered"
    assert trail[-1]["actor"] == "customer"
    assert trail[-1]["data"]["score"] == 1
    # The example policy has no rule on survey answers: a low score moves nothing else.
    after = workspace.client.get(url, headers=workspace.headers()).json()
    assert (after["status"], after["level"], after["team"]) == (
        before["status"],
        before["level"],
        before["team"],
    )
    assert (
        workspace.client.get(f"{url}/escalations", headers=workspace.headers()).json()
        == escalations
    )
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox
    kpis = workspace.client.get("/api/v1/kpis", headers=workspace.headers()).json()
    assert kpis["csat"]["other"] == {"responses": 1, "mean": 1.0}


def test_a_second_answer_is_refused_and_the_first_kept(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)
    token = survey_token(workspace, case_id)
    workspace.client.post(f"/survey/{token}", data={"score": "4"})

    again = workspace.client.post(f"/survey/{token}", data={"score": "1"})

    assert again.status_code == 409
    assert "already recorded" in again.text
    assert survey_score(workspace, case_id) == 4
    assert audit_kinds(workspace, case_id).count("survey.answered") == 1
    page = workspace.client.get(f"/survey/{token}")
    assert page.status_code == 200
    assert "already recorded" in page.text
    assert "<form" not in page.text


def test_the_survey_of_an_open_case_opens_after_resolution(workspace: Workspace) -> None:
    case_id = open_case(workspace)
    token = survey_token(workspace, case_id)

    page = workspace.client.get(f"/survey/{token}")
    answer = workspace.client.post(f"/survey/{token}", data={"score": "5"})

    assert page.status_code == 200
    assert "The survey opens when your case is resolved" in page.text
    assert "<form" not in page.text
    assert answer.status_code == 409
    assert "The survey opens when your case is resolved" in answer.text
    assert "survey.answered" not in audit_kinds(workspace, case_id)
    set_status(workspace, case_id, "resolved")
    assert workspace.client.post(f"/survey/{token}", data={"score": "5"}).status_code == 200


@pytest.mark.parametrize("score", ["", "0", "6", "three"])
def test_an_answer_without_a_valid_score_shows_the_form_again(
    workspace: Workspace, score: str
) -> None:
    case_id = resolved_case(workspace)
    token = survey_token(workspace, case_id)

    answer = workspace.client.post(f"/survey/{token}", data={"score": score, "comment": "hm"})

    assert answer.status_code == 422
    assert "choose a score from 1 to 5" in answer.text
    assert ">hm</textarea>" in answer.text
    assert survey_score(workspace, case_id) is None


def test_a_tampered_link_is_a_404_page(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)
    token = survey_token(workspace, case_id)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_case = URLSafeTimedSerializer("guess", salt="escalon.link.survey").dumps(case_id)

    for bad in (tampered, other_case, "nonsense", "x" * 5000):
        page = workspace.client.get(f"/survey/{bad}")
        assert page.status_code == 404, bad
        assert "This link is not valid" in page.text
        assert workspace.client.post(f"/survey/{bad}", data={"score": "5"}).status_code == 404
        assert workspace.client.get(f"/status/{bad}").status_code == 404
    assert survey_score(workspace, case_id) is None


def test_an_expired_survey_link_is_a_410_page(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)
    token = survey_token(workspace, case_id)
    workspace.clock.advance(hours=29 * DAY_HOURS)
    assert workspace.client.get(f"/survey/{token}").status_code == 200

    workspace.clock.advance(hours=2 * DAY_HOURS)
    page = workspace.client.get(f"/survey/{token}")
    answer = workspace.client.post(f"/survey/{token}", data={"score": "5"})

    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert answer.status_code == 410
    assert survey_score(workspace, case_id) is None


def test_links_of_one_purpose_do_not_open_the_other(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)

    survey_with_status_link = workspace.client.get(f"/survey/{status_token(workspace, case_id)}")
    status_with_survey_link = workspace.client.get(f"/status/{survey_token(workspace, case_id)}")

    assert survey_with_status_link.status_code == 404
    assert status_with_survey_link.status_code == 404


# -- the status page -----------------------------------------------------------------------------


def test_the_status_page_shows_the_conversation_but_no_internal_note(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)
    workspace.clock.advance(minutes=10)
    post(workspace, case_id, "Customer seems upset", public=False)
    workspace.clock.advance(minutes=10)
    post(workspace, case_id, "We are replacing the printer.")

    page = workspace.client.get(f"/status/{status_token(workspace, case_id)}")

    assert page.status_code == 200
    assert f"Case #{case_id}: Printer on fire" in page.text
    assert "The printer is on fire." in page.text
    assert "We are replacing the printer." in page.text
    assert page.text.index("The printer is on fire.") < page.text.index("We are replacing")
    assert "Customer seems upset" not in page.text
    assert "Ana" in page.text  # the agent who wrote, by name


def test_the_status_page_says_who_handles_the_case_and_when_to_expect_an_answer(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)
    token = status_token(workspace, case_id)

    first = workspace.client.get(f"/status/{token}").text

    assert "Open" in first
    assert "our frontline team" in first
    # Enterprise: the first answer within an office hour of Monday 10:00 in Berlin.
    assert "Monday 30 November 2026, 11:00 CET" in first
    assert "Europe/Berlin" in first
    workspace.client.put(
        f"/api/v1/cases/{case_id}/assignee",
        json={"assignee": "ana"},
        headers=workspace.headers("supervisor"),
    )
    set_status(workspace, case_id, "pending_customer")
    later = workspace.client.get(f"/status/{token}").text
    assert "Pending your reply" in later
    assert "Ana" in later
    assert "11:00 CET" not in later


def test_the_status_link_lives_longer_than_the_survey_link(workspace: Workspace) -> None:
    case_id = resolved_case(workspace)
    token = status_token(workspace, case_id)
    workspace.clock.advance(hours=89 * DAY_HOURS)
    page = workspace.client.get(f"/status/{token}")
    assert page.status_code == 200
    assert "Resolved" in page.text
    workspace.clock.advance(hours=2 * DAY_HOURS)
    assert workspace.client.get(f"/status/{token}").status_code == 410


def test_what_the_customer_wrote_is_shown_as_text(workspace: Workspace) -> None:
    case_id = open_case(workspace, subject="<script>alert(1)</script>", body="<b>hi</b>")
    page = workspace.client.get(f"/status/{status_token(workspace, case_id)}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page


# -- the links -----------------------------------------------------------------------------------


def test_links_are_built_on_the_public_address(workspace: Workspace) -> None:
    case_id = open_case(workspace)
    survey = links.survey_url(case_id, "https://help.example.org/")
    status = links.status_url(case_id, "https://help.example.org")
    assert survey.startswith("https://help.example.org/survey/")
    assert status.startswith("https://help.example.org/status/")
    token = survey.rsplit("/", 1)[1]
    assert links.read_token(token, purpose="survey", max_age_seconds=60) == case_id
    with pytest.raises(links.LinkInvalid):
        links.read_token(token, purpose="status", max_age_seconds=60)


def test_read_token_tells_an_expired_link_from_a_forged_one() -> None:
    token = links.survey_token(7, now=1_000_000)
    assert links.read_token(token, purpose="survey", max_age_seconds=100, now=1_000_100) == 7
    with pytest.raises(links.LinkExpired):
        links.read_token(token, purpose="survey", max_age_seconds=100, now=1_000_101)
    with pytest.raises(links.LinkInvalid):
        links.read_token(token + "x", purpose="survey", max_age_seconds=100)


def test_a_link_signed_with_another_installations_keys_is_refused() -> None:
    elsewhere = keys.Keyring.generate()
    token = links.status_token(3, now=1_000_000, keyring=elsewhere)

    assert (
        links.read_token(
            token, purpose="status", max_age_seconds=60, now=1_000_000, keyring=elsewhere
        )
        == 3
    )
    with pytest.raises(links.LinkInvalid):
        links.read_token(token, purpose="status", max_age_seconds=60, now=1_000_000)
