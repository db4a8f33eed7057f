"""The case page through HTTP: its timeline and clocks, and every action's form."""

from __future__ import annotations

import re
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from escalon.api.app import create_app
from escalon.notifications import replies
from escalon.notifications.models import OutboxMessage
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.dashboard import (
    case_page,
    csrf_of,
    form_version,
    post_case_form,
    sign_in,
    signed_in,
    timeline_of,
)
from tests.builders.workspace import Workspace

MINUTE_US = 60 * 1_000_000


def test_the_page_shows_the_case_its_clocks_and_its_first_message(workspace: Workspace) -> None:
    case = open_case(workspace, priority="P1", body="The printer <b>is</b> on fire.")
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case["id"])
    assert f"Case #{case['id']}: Printer on fire" in html
    assert 'id="case-priority">P1<' in html
    assert "first response" in html
    # The customer's text is shown as text, never as markup.
    assert "The printer &lt;b&gt;is&lt;/b&gt; on fire." in timeline_of(html)
    assert "<strong>Kim</strong> · Customer wrote" in html  # by name, not by reference
    assert "/status/" in html  # the customer's status page, for the agent to share


def test_a_reply_and_a_note_land_on_the_timeline_as_what_they_are(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    sent = post_case_form(agent, case_id, "messages", body="We are on it.", kind="reply")
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/ui/cases/{case_id}?done=reply&after=")
    assert "&message=" in sent.headers["location"]
    said = agent.get(sent.headers["location"]).text
    # Said as it stands: queued, not sent.
    assert "Your reply was saved. Queued for e-mail to kim@example.org." in said
    assert "was sent" not in said
    assert post_case_form(
        agent, case_id, "messages", body="Looks like bug 12.", kind="note"
    ).is_redirect
    html = agent.get(f"/ui/cases/{case_id}?done=note").text
    assert "Your internal note was added." in html
    timeline = timeline_of(html)
    assert timeline.index("Looks like bug 12.") < timeline.index("We are on it.")  # newest first
    messages = workspace.client.get(
        f"/api/v1/cases/{case_id}/messages", headers=workspace.headers()
    ).json()
    assert [(m["body"], m["public"], m["author"]) for m in messages[1:]] == [
        ("We are on it.", True, "ana"),
        ("Looks like bug 12.", False, "ana"),
    ]


def test_an_escalation_waits_for_the_next_level_which_acknowledges_it(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    escalated = post_case_form(
        agent, case_id, "escalate", target="level:supervisor", reason="Customer wants a refund"
    )
    assert escalated.status_code == 303, escalated.text
    # The frontline agent is told who acknowledges instead of being offered a button.
    assert 'id="acknowledge"' not in case_page(agent, case_id)
    assert "A person of level supervisor or team supervisors acknowledges it." in case_page(
        agent, case_id
    )
    supervisor = signed_in(workspace, "supervisor")
    html = case_page(supervisor, case_id)
    assert 'id="acknowledge"' in html
    assert 'id="case-level">supervisor<' in html
    assert "waiting for acknowledgement" in html
    assert "Escalated to supervisor: Customer wants a refund" in timeline_of(html)
    assert post_case_form(supervisor, case_id, "acknowledgement").status_code == 303
    html = case_page(supervisor, case_id)
    assert "waiting for acknowledgement" not in html
    assert "Acknowledged the escalation" in html
    assert 'id="case-handler">Sara (sara)<' in html


def test_a_functional_escalation_hands_the_case_to_the_other_team(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    assert post_case_form(
        agent, case_id, "escalate", target="team:finance", reason="invoice"
    ).is_redirect
    html = case_page(agent, case_id)
    assert 'id="case-team">finance<' in html
    assert "Handed to team finance: invoice" in html


def test_a_stale_form_is_refused_and_the_page_shows_the_case_as_it_stands(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    old = form_version(html)
    assert post_case_form(
        agent, case_id, "update", status="pending_customer", priority="P3"
    ).is_redirect
    stale = agent.post(
        f"/ui/cases/{case_id}/update",
        data={"csrf_token": csrf_of(html), "version": old, "status": "on_hold", "priority": "P3"},
    )
    assert stale.status_code == 412
    assert "That did not work" in stale.text
    assert 'id="case-status">pending customer<' in stale.text


def test_de_escalation_is_for_supervisors_and_leaves_a_hand_over_note(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    assert post_case_form(
        agent, case_id, "escalate", target="level:supervisor", reason="x"
    ).is_redirect
    assert "De-escalate" not in case_page(agent, case_id)
    refused = post_case_form(agent, case_id, "de-escalation", to_level="frontline", note="back")
    assert refused.status_code == 403
    supervisor = signed_in(workspace, "supervisor")
    done = post_case_form(
        supervisor, case_id, "de-escalation", to_level="frontline", note="Known issue, see KB 7"
    )
    assert done.status_code == 303, done.text
    html = case_page(supervisor, case_id)
    assert 'id="case-level">frontline<' in html
    assert "Known issue, see KB 7" in timeline_of(html)
    assert "De-escalated to frontline" in html


def test_an_approval_above_authority_waits_and_a_supervisor_decides_it(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    bad = post_case_form(agent, case_id, "approvals", kind="refund", amount="lots", note="")
    assert bad.status_code == 422
    assert "the amount must be a number" in bad.text
    assert post_case_form(
        agent, case_id, "approvals", kind="refund", amount="1,000", note=""
    ).is_redirect
    assert post_case_form(
        agent, case_id, "approvals", kind="refund", amount="300", note=""
    ).is_redirect
    html = case_page(agent, case_id)
    assert "refund 300 by ana: <strong>pending</strong>" in html
    assert "Approve" not in html  # agents do not decide
    assert "Needs an authority of 300 (level supervisor or above). Who may decide: sara." in html
    first, approval = workspace.client.get(
        f"/api/v1/cases/{case_id}/approvals", headers=workspace.headers()
    ).json()
    supervisor = signed_in(workspace, "supervisor")
    # 1,000 is above sara's 500: she sees who may decide it instead of the buttons.
    html = case_page(supervisor, case_id)
    assert f"approvals/{first['id']}/decision" not in html
    assert f"approvals/{approval['id']}/decision" in html
    decided = post_case_form(
        supervisor,
        case_id,
        f"approvals/{approval['id']}/decision",
        decision="reject",
        note="too much",
    )
    assert decided.status_code == 303, decided.text
    html = case_page(supervisor, case_id)
    assert "<strong>rejected</strong> by sara (authority 500, level &#39;supervisor&#39;)" in html
    assert "Approval rejected: refund 300 (authority 500, level &#39;supervisor&#39;)" in html


def test_resolving_needs_a_root_cause_which_the_next_resolution_can_reuse(
    workspace: Workspace,
) -> None:
    first, second = open_case(workspace)["id"], open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    missing = post_case_form(agent, first, "resolve", root_cause="  ")
    assert missing.status_code == 422
    assert "name the root cause" in missing.text
    assert post_case_form(agent, first, "resolve", root_cause="expired card").is_redirect
    html = case_page(agent, first)
    assert 'id="case-status">resolved<' in html
    assert 'id="case-root-cause">expired card<' in html
    assert "Resolved, root cause: expired card" in timeline_of(html)
    assert '<option value="expired card">' in case_page(agent, second)


def test_a_breach_shows_on_the_clocks_and_the_timeline(workspace: Workspace) -> None:
    case_id = open_case(workspace, priority="P1")["id"]
    workspace.clock.advance(minutes=120)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)
    html = case_page(signed_in(workspace, "agent"), case_id)
    assert "breached" in html
    assert "due-breach" in html
    assert "SLA first response: breach" in timeline_of(html)
    assert "Escalated frontline → supervisor: the first response target is breached (rule " in (
        timeline_of(html)
    )


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("messages", {"body": "hi", "kind": "reply"}),
        ("resolve", {"root_cause": "x"}),
        ("acknowledgement", {}),
    ],
)
def test_forms_without_the_session_csrf_token_change_nothing(
    workspace: Workspace, path: str, form: dict[str, str]
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    response = agent.post(f"/ui/cases/{case_id}/{path}", data={"csrf_token": "forged", **form})
    assert response.status_code == 403
    case = workspace.client.get(f"/api/v1/cases/{case_id}", headers=workspace.headers()).json()
    assert case["version"] == 1


def test_the_live_part_and_the_page_need_a_session_and_an_existing_case(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    anonymous = TestClient(workspace.client.app)
    assert (
        anonymous.get(f"/ui/cases/{case_id}", follow_redirects=False).headers["location"]
        == "/ui/sign-in"
    )
    agent = signed_in(workspace, "agent")
    live = agent.get(f"/ui/cases/{case_id}/live")
    assert live.status_code == 200
    assert live.text.startswith('<div id="live" data-version="1">')
    assert "<html" not in live.text
    assert agent.get("/ui/cases/999999").status_code == 404


def test_a_reply_form_sent_twice_makes_one_reply(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    token = re.search(r'name="reply_token" value="([^"]+)"', html)
    assert token is not None
    form = {"csrf_token": csrf_of(html), "body": "On it.", "reply_token": token[1]}
    for _ in range(2):
        sent = agent.post(f"/ui/cases/{case_id}/messages", data=form, follow_redirects=False)
        assert sent.status_code == 303
    messages = workspace.client.get(
        f"/api/v1/cases/{case_id}/messages", headers=workspace.headers()
    ).json()
    assert [m["body"] for m in messages if m["author_kind"] == "agent"] == ["On it."]


def test_a_reply_that_failed_says_why_on_the_case_and_in_the_queue(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    assert post_case_form(
        agent, case_id, "messages", body="We are on it.", kind="reply"
    ).is_redirect
    with workspace.database.write() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "reply")
            .values(status="dead", last_error="SMTP mail.test answered 550")
        )
    shown = timeline_of(case_page(agent, case_id))
    assert 'data-delivery="failed"' in shown
    assert "Not delivered to kim@example.org: SMTP mail.test answered 550" in shown
    queue = agent.get("/ui/queue?team=frontline").text
    assert "reply not delivered" in queue
    assert 'title="SMTP mail.test answered 550"' in queue
    # On the escalations board too, once the case waits there.
    assert post_case_form(
        agent, case_id, "escalate", target="level:supervisor", reason="refund"
    ).is_redirect
    board = agent.get("/ui/escalations").text
    assert f"#{case_id}" in board
    assert "reply not delivered" in board


def test_an_agent_cannot_reply_on_a_case_they_may_not_see(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    with TestClient(_teams_app(workspace, case_id), raise_server_exceptions=False) as teams:
        sign_in(teams, workspace.tokens["agent"])
        html = teams.get("/ui/queue").text
        form = {"csrf_token": csrf_of(html), "body": "sneaky", "kind": "reply"}
        sent = teams.post(f"/ui/cases/{case_id}/messages", data=form, follow_redirects=False)
        assert sent.status_code == 404
        by_api = teams.post(
            f"/api/v1/cases/{case_id}/messages",
            json={"author": "agent", "body": "sneaky"},
            headers=workspace.headers("agent"),
        )
        assert by_api.status_code == 404
    with workspace.database.read() as session:
        assert (
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all() == []
        )


def test_files_sent_with_a_reply_are_listed_and_downloaded_by_staff_only(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    sent = agent.post(
        f"/ui/cases/{case_id}/messages",
        data={"csrf_token": csrf_of(html), "body": "See the label.", "kind": "reply"},
        files=[("files", ("../label <1>.html", b"<script>alert(1)</script>", "text/html"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    timeline = timeline_of(case_page(agent, case_id))
    link = re.search(rf'href="(/ui/cases/{case_id}/attachments/\d+)"[^>]*>([^<]+)<', timeline)
    assert link is not None
    assert link[2] == "label _1_.html"
    download = agent.get(link[1])
    assert download.status_code == 200
    assert download.content == b"<script>alert(1)</script>"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    # Another case's number in the path does not reach the file.
    other = open_case(workspace)["id"]
    wrong = link[1].replace(f"/cases/{case_id}/", f"/cases/{other}/")
    assert agent.get(wrong).status_code == 404
    # Nor does a person who may not see the case.
    with TestClient(_teams_app(workspace, case_id), raise_server_exceptions=False) as teams:
        sign_in(teams, workspace.tokens["agent"])
        assert teams.get(link[1]).status_code == 404


def test_a_file_too_large_is_refused_with_a_clear_413(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies, "MAX_ATTACHMENT_BYTES", 100)
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    sent = agent.post(
        f"/ui/cases/{case_id}/messages",
        data={"csrf_token": csrf_of(html), "body": "Big.", "kind": "reply"},
        files=[("files", ("big.bin", b"x" * 101, "application/octet-stream"))],
        follow_redirects=False,
    )
    assert sent.status_code == 413
    assert "attachment &#39;big.bin&#39; is" in sent.text or "attachment 'big.bin' is" in sent.text


def _teams_app(workspace: Workspace, case_id: int) -> FastAPI:
    """The app with visibility `teams`, the case escalated out of the agent's sight."""
    running = cast(FastAPI, workspace.client.app)
    settings = running.state.services.settings.model_copy(update={"case_visibility": "teams"})
    moved = workspace.client.post(
        f"/api/v1/cases/{case_id}/escalations",
        json={"kind": "hierarchical", "to_level": "management", "reason": "x"},
        headers=workspace.headers(),
    )
    assert moved.status_code == 200, moved.text
    return create_app(settings=settings, database=workspace.database, clock=workspace.clock)
