"""Clocks stopped suspiciously in the live service: audited with whose case it was, shown on
the timeline, counted per person and team on the coaching page (supervisors only)."""

from __future__ import annotations

from escalon.cases.models import AuditEntry
from tests.builders.cases import open_case, set_status
from tests.builders.dashboard import signed_in, timeline_of
from tests.builders.workspace import Workspace


def _assign(ws: Workspace, case_id: int, who: str) -> None:
    done = ws.client.put(
        f"/api/v1/cases/{case_id}/assignee",
        json={"assignee": who},
        headers=ws.headers("supervisor"),
    )
    assert done.status_code == 200, done.text


def test_waiting_on_an_unanswered_customer_is_audited_and_counted_for_its_holder(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    _assign(workspace, case_id, "ana")
    workspace.clock.advance(minutes=20)
    set_status(workspace, case_id, "pending_customer")
    with workspace.database.read() as session:
        [entry] = session.query(AuditEntry).filter_by(case_id=case_id, kind="clock.suspicious")
        assert entry.actor == "ana"  # the person who set the status
        assert entry.data == {
            "reason": "unanswered",
            "metric": "first_response",
            "cycle": 1,
            "holder": "ana",
            "team": "frontline",
        }
    boss = signed_in(workspace, "supervisor")
    timeline = timeline_of(boss.get(f"/ui/cases/{case_id}").text)
    assert "Flagged: the first response clock was stopped suspiciously" in timeline
    page = boss.get("/ui/coaching").text
    section = page[page.index('id="clock-flags"') :]
    row = section[section.index('id="flags-person-ana"') :]
    row = row[: row.index("</tr>")]
    assert '<td data-label="Unanswered">1</td>' in row
    assert f'href="/ui/cases/{case_id}"' in row
    assert 'id="flags-team-frontline"' in section


def test_an_answered_case_may_wait_for_the_customer(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    answered = workspace.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": "Please send the log."},
        headers=workspace.headers("agent"),
    )
    assert answered.status_code == 201
    set_status(workspace, case_id, "pending_customer")
    with workspace.database.read() as session:
        assert not session.query(AuditEntry).filter_by(kind="clock.suspicious").count()
    assert (
        "No clock was stopped suspiciously."
        in signed_in(workspace, "supervisor").get("/ui/coaching").text
    )
