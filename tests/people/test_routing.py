"""People and routing through the API, on SQLite and PostgreSQL: escalations reach someone
present, climb until acknowledged, land where the authority is, and cases get assigned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from escalon.auth import service as auth
from escalon.notifications.models import OutboxMessage
from escalon.people.models import Agent
from escalon.worker.timers import tick
from tests.builders.cases import open_case, read
from tests.builders.people import OFFICE
from tests.builders.workspace import Workspace

MINUTE = 60 * 1_000_000
# Tuesday 2026-12-01 03:00 in Berlin.
NIGHT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def staff_the_ladder(ws: Workspace) -> None:
    """Sara supervises in office hours only; omar and lena share the specialists' on-call week;
    frontline hands out cases in turn, supervisors by load, specialists to whoever is on call."""
    admin = ws.headers("admin")
    client = ws.client
    ok = client.patch(
        "/api/v1/agents/sara",
        json={"timezone": "Europe/Berlin", "working_hours": OFFICE},
        headers=admin,
    )
    assert ok.status_code == 200, ok.text
    for handle, team, level in (
        ("ben", "frontline", "frontline"),
        ("lena", "specialists", "specialist"),
    ):
        made = client.post(
            "/api/v1/agents",
            json={
                "handle": handle,
                "name": handle.title(),
                "email": f"{handle}@example.org",
                "level": level,
                "teams": [team],
                "timezone": "Europe/Berlin",
                "working_hours": OFFICE,
            },
            headers=admin,
        )
        assert made.status_code == 201, made.text
    rotation = {
        "layers": [
            {
                "name": "week",
                "members": ["omar", "lena"],
                "shift": "1w",
                "handoff": "2026-11-30T09:00",
                "timezone": "Europe/Berlin",
            }
        ]
    }
    assert client.put("/api/v1/teams/specialists/rotation", json=rotation, headers=admin).is_success
    for team, strategy in (
        ("frontline", "round_robin"),
        ("supervisors", "least_loaded"),
        ("specialists", "on_call"),
    ):
        changed = client.patch(
            f"/api/v1/teams/{team}", json={"assignment": strategy}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["assignment"] == strategy


def audit_kinds(ws: Workspace, case_id: int) -> list[str]:
    return [entry["kind"] for entry in read(ws, f"/cases/{case_id}/audit")["items"]]


def acting_as(ws: Workspace, handle: str, role: str = "agent") -> dict[str, str]:
    """Headers of a new user linked to the agent `handle`."""
    with ws.database.write() as session:
        user = auth.create_user(
            session, username=f"{handle}-user", role=role, now=ws.clock.now_us(), agent=handle
        )
        _record, token = auth.create_token(session, user=user, now=ws.clock.now_us())
    return {"Authorization": f"Bearer {token}"}


def test_a_case_escalated_at_three_reaches_the_on_call_specialist_not_the_sleeping_supervisor(
    workspace: Workspace,
) -> None:
    staff_the_ladder(workspace)
    workspace.clock.set(NIGHT - timedelta(minutes=15))
    case = open_case(workspace, priority="P1")  # critical: first response within 15 minutes
    tick(workspace.database, now=workspace.clock.now_us() + 16 * MINUTE, batch=10)
    after = read(workspace, f"/cases/{case['id']}")
    assert (after["level"], after["team"], after["assignee"]) == (
        "specialist",
        "specialists",
        "omar",
    )
    entries = read(workspace, f"/cases/{case['id']}/audit")["items"]
    skip = next(entry for entry in entries if entry["kind"] == "skip_level")
    assert skip["data"]["level"] == "supervisor"
    assert skip["data"]["reason"] == "nobody present"
    # The rule's notification to the level's team reached omar alone, not the whole team.
    with workspace.database.read() as session:
        staff = session.scalars(
            select(OutboxMessage.address).where(
                OutboxMessage.case_id == case["id"], OutboxMessage.kind == "notify"
            )
        ).all()
    assert sorted(staff) == ["omar@example.org"]


def test_in_office_hours_the_same_breach_goes_to_the_supervisor(workspace: Workspace) -> None:
    staff_the_ladder(workspace)  # the seeded clock is Monday 10:00 in Berlin
    case = open_case(workspace, priority="P1")
    tick(workspace.database, now=workspace.clock.now_us() + 16 * MINUTE, batch=10)
    after = read(workspace, f"/cases/{case['id']}")
    assert (after["level"], after["assignee"]) == ("supervisor", "sara")
    assert "skip_level" not in audit_kinds(workspace, case["id"])


def test_an_unacknowledged_escalation_climbs_the_ladder_until_someone_acknowledges(
    workspace: Workspace,
) -> None:
    staff_the_ladder(workspace)
    case = open_case(workspace, priority="P1")
    start = workspace.clock.now_us()
    tick(workspace.database, now=start + 16 * MINUTE, batch=10)
    assert read(workspace, f"/cases/{case['id']}")["level"] == "supervisor"
    tick(workspace.database, now=start + 46 * MINUTE, batch=10)
    climbed = read(workspace, f"/cases/{case['id']}")
    assert (climbed["level"], climbed["assignee"]) == ("specialist", "omar")
    workspace.clock.set(start + 50 * MINUTE)
    acknowledged = workspace.client.post(
        f"/api/v1/cases/{case['id']}/acknowledgement", headers=acting_as(workspace, "omar")
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert not acknowledged.json()["awaiting_acknowledgement"]
    tick(workspace.database, now=start + 200 * MINUTE, batch=10)
    assert read(workspace, f"/cases/{case['id']}")["level"] == "specialist"
    levels = [
        (row["from_level"], row["to_level"])
        for row in read(workspace, f"/cases/{case['id']}/escalations")
    ]
    assert levels == [("frontline", "supervisor"), ("supervisor", "specialist")]


def test_acknowledging_assigns_the_case_to_the_person_who_acknowledged(
    workspace: Workspace,
) -> None:
    staff_the_ladder(workspace)
    case = open_case(workspace, priority="P1")
    tick(workspace.database, now=workspace.clock.now_us() + 16 * MINUTE, batch=10)
    assert read(workspace, f"/cases/{case['id']}")["assignee"] == "sara"
    # A second supervisor, more available than sara, takes it.
    with workspace.database.write() as session:
        from escalon.people import service as people
        from escalon.people.schemas import AgentIn

        people.create_agent(
            session,
            data=AgentIn(handle="tom", name="Tom", level="supervisor", teams=["supervisors"]),
            now=workspace.clock.now_us(),
        )
    response = workspace.client.post(
        f"/api/v1/cases/{case['id']}/acknowledgement", headers=acting_as(workspace, "tom")
    )
    assert response.status_code == 200, response.text
    assert response.json()["assignee"] == "tom"
    assigned = [
        entry
        for entry in read(workspace, f"/cases/{case['id']}/audit")["items"]
        if entry["kind"] == "case.assigned"
    ]
    assert assigned[-1]["data"] == {"from": "sara", "to": "tom", "by": "acknowledgement"}


def test_only_a_person_of_the_new_level_may_acknowledge(workspace: Workspace) -> None:
    staff_the_ladder(workspace)
    case = open_case(workspace, priority="P1")
    tick(workspace.database, now=workspace.clock.now_us() + 16 * MINUTE, batch=10)
    response = workspace.client.post(
        f"/api/v1/cases/{case['id']}/acknowledgement", headers=workspace.headers("agent")
    )
    assert response.status_code == 403
    assert "ana is neither at level 'supervisor'" in response.json()["message"]
    assert read(workspace, f"/cases/{case['id']}")["awaiting_acknowledgement"]


def test_a_refund_above_authority_lands_at_the_level_that_can_approve_it(
    workspace: Workspace,
) -> None:
    staff_the_ladder(workspace)
    case = open_case(workspace)
    requested = workspace.client.post(
        f"/api/v1/cases/{case['id']}/approvals",
        json={"kind": "refund", "amount": 2000, "note": "double charge for a year"},
        headers=workspace.headers("agent"),
    )
    assert requested.status_code == 201, requested.text
    assert requested.json()["status"] == "pending"
    after = read(workspace, f"/cases/{case['id']}")
    # Frontline may grant 50, supervisors 500, specialists 5000: it lands with the specialists.
    assert (after["level"], after["team"], after["assignee"]) == (
        "specialist",
        "specialists",
        "omar",
    )
    decided = workspace.client.post(
        f"/api/v1/approvals/{requested.json()['id']}/decision",
        json={"decision": "approve"},
        headers=acting_as(workspace, "omar", role="supervisor"),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"


def test_a_refund_inside_the_agents_own_limit_is_granted_and_recorded(
    workspace: Workspace,
) -> None:
    changed = workspace.client.patch(
        "/api/v1/agents/ana", json={"authority": {"refund": 200}}, headers=workspace.headers()
    )
    assert changed.status_code == 200
    case = open_case(workspace)
    granted = workspace.client.post(
        f"/api/v1/cases/{case['id']}/approvals",
        json={"kind": "refund", "amount": 150},
        headers=workspace.headers("agent"),
    )
    assert granted.json()["status"] == "granted"
    assert read(workspace, f"/cases/{case['id']}")["level"] == "frontline"
    entry = next(
        entry
        for entry in read(workspace, f"/cases/{case['id']}/audit")["items"]
        if entry["kind"] == "approval.granted"
    )
    assert (entry["data"]["authority"], entry["data"]["basis"]) == (200, "own limit")
    assert entry["data"]["by"] == "ana"


def test_new_cases_are_handed_out_in_turn_and_the_turn_is_remembered(workspace: Workspace) -> None:
    staff_the_ladder(workspace)
    assignees = [open_case(workspace)["assignee"] for _ in range(3)]
    assert assignees == ["ana", "ben", "ana"]
    team = read(workspace, "/teams/frontline")
    assert team["assignment"] == "round_robin"


def test_routing_assigns_the_case_in_its_new_team(workspace: Workspace) -> None:
    staff_the_ladder(workspace)
    workspace.client.patch(
        "/api/v1/teams/finance", json={"assignment": "least_loaded"}, headers=workspace.headers()
    )
    workspace.client.patch(
        "/api/v1/agents/mia", json={"teams": ["management", "finance"]}, headers=workspace.headers()
    )
    case = open_case(workspace, category="billing")  # the policy routes billing to finance
    assert (case["team"], case["assignee"]) == ("finance", "mia")
    assert "assign" in audit_kinds(workspace, case["id"])


def open_cases_of(ws: Workspace) -> dict[str, int]:
    with ws.database.read() as session:
        rows = session.execute(select(Agent.handle, Agent.open_cases)).all()
    return {handle: count for handle, count in rows if count}


def test_agents_open_case_counts_follow_assignment_resolution_and_reopening(
    workspace: Workspace,
) -> None:
    staff_the_ladder(workspace)
    first, second = open_case(workspace), open_case(workspace)
    assert open_cases_of(workspace) == {"ana": 1, "ben": 1}
    url = f"/api/v1/cases/{first['id']}"
    resolved = workspace.client.patch(
        url, json={"status": "resolved"}, headers=workspace.headers("agent", **{"If-Match": '"1"'})
    )
    assert resolved.status_code == 200, resolved.text
    assert open_cases_of(workspace) == {"ben": 1}
    workspace.client.post(
        f"{url}/messages",
        json={"author": "customer", "body": "Thanks, one more question about the invoice."},
        headers=workspace.headers("integration"),
    )
    assert read(workspace, f"/cases/{first['id']}")["status"] == "open"
    assert open_cases_of(workspace) == {"ana": 1, "ben": 1}
    moved = workspace.client.put(
        f"/api/v1/cases/{second['id']}/assignee",
        json={"assignee": "ana"},
        headers=workspace.headers("supervisor", **{"If-Match": '"1"'}),
    )
    assert moved.status_code == 200, moved.text
    assert open_cases_of(workspace) == {"ana": 2}
