"""Handing out work through the API, on SQLite and PostgreSQL: who may assign whom, many cases at
once, queue filters, and waiting cases handed out when someone can take them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from escalon.cases.models import AuditEntry
from escalon.core.state import to_us
from escalon.people.models import Agent
from escalon.worker.timers import hand_out_due, tick
from tests.builders.cases import open_case, read
from tests.builders.people import OFFICE
from tests.builders.workspace import Workspace

CASES = "/api/v1/cases"
# Monday 30 November 2026, 06:00 in Berlin: nobody's office hours have begun.
EARLY = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def assign(ws: Workspace, case_id: int, assignee: str | None, headers: dict[str, str]) -> Any:
    return ws.client.put(
        f"{CASES}/{case_id}/assignee", json={"assignee": assignee}, headers=headers
    )


def assignee_of(ws: Workspace, case_id: int) -> str | None:
    return cast(str | None, read(ws, f"/cases/{case_id}")["assignee"])


def listed(ws: Workspace, headers: dict[str, str] | None = None, **params: Any) -> list[int]:
    response = ws.client.get(
        CASES, params={"limit": 500, **params}, headers=headers or ws.headers()
    )
    assert response.status_code == 200, response.text
    return [case["id"] for case in response.json()["items"]]


# -- who may assign ------------------------------------------------------------------------------


def test_an_agent_takes_a_free_case_and_hands_back_their_own(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    agent = workspace.headers("agent")  # ana
    assert assign(workspace, case, "ana", agent).status_code == 200
    assert assignee_of(workspace, case) == "ana"
    assert assign(workspace, case, None, agent).status_code == 200
    assert assignee_of(workspace, case) is None


def test_an_agent_may_not_give_a_case_to_someone_else(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    refused = assign(workspace, case, "omar", workspace.headers("agent"))
    assert refused.status_code == 403
    assert "only supervisors give cases to others" in refused.json()["message"]
    assert assignee_of(workspace, case) is None


def test_an_agent_may_not_take_a_case_that_is_someone_elses(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    assert assign(workspace, case, "omar", workspace.headers("supervisor")).status_code == 200
    agent = workspace.headers("agent")
    taken = assign(workspace, case, "ana", agent)
    assert taken.status_code == 403
    assert "omar's" in taken.json()["message"]
    dropped = assign(workspace, case, None, agent)
    assert dropped.status_code == 403
    assert assignee_of(workspace, case) == "omar"


def test_a_supervisor_reassigns_any_case_to_a_named_person(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    assert assign(workspace, case, "ana", workspace.headers("agent")).status_code == 200
    moved = assign(workspace, case, "omar", workspace.headers("supervisor"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee"] == "omar"
    entries = read(workspace, f"/cases/{case}/audit")["items"]
    assert {"from": "ana", "to": "omar"} in [
        e["data"] for e in entries if e["kind"] == "case.assigned"
    ]


def test_assigning_to_an_unknown_person_is_refused_with_the_reason(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    refused = assign(workspace, case, "nobody", workspace.headers("supervisor"))
    assert refused.status_code == 422
    assert "no active agent has the handle 'nobody'" in refused.json()["message"]


# -- many at once --------------------------------------------------------------------------------


def bulk(ws: Workspace, ids: list[int], assignee: str | None, role: str = "supervisor") -> Any:
    return ws.client.post(
        "/api/v1/assignments",
        json={"case_ids": ids, "assignee": assignee},
        headers=ws.headers(role),
    )


def test_a_supervisor_assigns_several_cases_at_once_each_with_its_outcome(
    workspace: Workspace,
) -> None:
    first, second = open_case(workspace)["id"], open_case(workspace)["id"]
    answer = bulk(workspace, [second, first, 999_999, second], "omar")
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"] == [
        {"case_id": second, "outcome": "done", "reason": None, "changed": True},
        {"case_id": first, "outcome": "done", "reason": None, "changed": True},
        {
            "case_id": 999_999,
            "outcome": "not_found",
            "reason": "case 999999 does not exist",
            "changed": False,
        },
    ]
    assert assignee_of(workspace, first) == assignee_of(workspace, second) == "omar"
    with workspace.database.read() as session:
        assert session.scalar(select(Agent.open_cases).where(Agent.handle == "omar")) == 2


def test_sending_the_same_bulk_assignment_twice_changes_nothing_more(workspace: Workspace) -> None:
    ids = [open_case(workspace)["id"] for _ in range(3)]
    assert bulk(workspace, ids, "omar").status_code == 200
    version = read(workspace, f"/cases/{ids[0]}")["version"]
    again = bulk(workspace, ids, "omar").json()["results"]
    assert [(r["outcome"], r["changed"]) for r in again] == [("done", False)] * 3
    assert read(workspace, f"/cases/{ids[0]}")["version"] == version
    kinds = [e["kind"] for e in read(workspace, f"/cases/{ids[0]}/audit")["items"]]
    assert kinds.count("case.assigned") == 1


def test_an_agents_bulk_assignment_is_checked_case_by_case(workspace: Workspace) -> None:
    free, omars = open_case(workspace)["id"], open_case(workspace)["id"]
    assert assign(workspace, omars, "omar", workspace.headers("supervisor")).status_code == 200
    results = bulk(workspace, [free, omars], "ana", role="agent").json()["results"]
    assert results[0]["outcome"] == "done"
    assert results[1]["outcome"] == "refused"
    assert "omar's" in results[1]["reason"]
    assert (assignee_of(workspace, free), assignee_of(workspace, omars)) == ("ana", "omar")


def test_bulk_assignment_refuses_bad_requests_whole(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    assert bulk(workspace, [case], "nobody").status_code == 422
    assert bulk(workspace, [], "ana").status_code == 422
    assert bulk(workspace, list(range(1, 202)), "ana").status_code == 422
    assert bulk(workspace, [0], "ana").status_code == 422
    assert bulk(workspace, [case], "ana", role="integration").status_code == 403
    assert assignee_of(workspace, case) is None


def test_a_case_out_of_sight_is_not_found_in_a_bulk_assignment(
    workspace: Workspace, teams: TestClient
) -> None:
    mine = open_case(workspace)["id"]
    hidden = open_case(workspace, subject="Invoice")["id"]
    moved = workspace.client.post(
        f"{CASES}/{hidden}/escalations",
        json={"kind": "functional", "to_team": "finance", "reason": "billing"},
        headers=workspace.headers(),
    )
    assert moved.status_code == 200, moved.text
    answer = teams.post(
        "/api/v1/assignments",
        json={"case_ids": [mine, hidden], "assignee": "ana"},
        headers=workspace.headers("agent"),
    )
    assert [r["outcome"] for r in answer.json()["results"]] == ["done", "not_found"]
    assert answer.json()["results"][1]["reason"] == f"case {hidden} does not exist"
    assert assignee_of(workspace, hidden) is None


# -- queue filters -------------------------------------------------------------------------------


def test_queues_filter_by_assignee_unassigned_due_clock_and_acknowledgement(
    workspace: Workspace,
) -> None:
    waiting, answered, escalated = (open_case(workspace)["id"] for _ in range(3))
    assert assign(workspace, answered, "ana", workspace.headers("supervisor")).status_code == 200
    replied = workspace.client.post(
        f"{CASES}/{answered}/messages",
        json={"author": "agent", "body": "We are on it.", "public": True},
        headers=workspace.headers("agent"),
    )
    assert replied.status_code == 201, replied.text
    up = workspace.client.post(
        f"{CASES}/{escalated}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "angry"},
        headers=workspace.headers(),
    )
    assert up.status_code == 200, up.text

    assert listed(workspace, assignee="ana") == [answered]
    assert set(listed(workspace, unassigned="true")) == {waiting, escalated}
    assert set(listed(workspace, due="first_response")) == {waiting, escalated}
    assert listed(workspace, due="resolution") == [answered]
    assert listed(workspace, awaiting_acknowledgement="true") == [escalated]
    # Filters combine.
    assert listed(
        workspace, unassigned="true", due="first_response", awaiting_acknowledgement="false"
    ) == [waiting]
    assert set(listed(workspace, due=["first_response", "resolution"])) == {
        waiting,
        answered,
        escalated,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"due": "tomorrow"},
        {"unassigned": "maybe"},
        {"awaiting_acknowledgement": "2"},
        {"q": "x" * 201},
        {"assignee": "a" * 101},
    ],
)
def test_a_bad_filter_value_is_refused_saying_which(
    workspace: Workspace, params: dict[str, str]
) -> None:
    response = workspace.client.get(CASES, params=params, headers=workspace.headers())
    assert response.status_code == 422, response.text
    assert next(iter(params)) in response.text


# -- handing out waiting cases -------------------------------------------------------------------


def office_team(ws: Workspace, *, strategy: str = "round_robin", capacity: int = 20) -> None:
    """frontline hands out cases by `strategy` to ana and ben, both at work 09:00-17:00 Berlin."""
    admin = ws.headers("admin")
    hours = {"timezone": "Europe/Berlin", "working_hours": OFFICE, "capacity": capacity}
    assert ws.client.patch("/api/v1/agents/ana", json=hours, headers=admin).is_success
    made = ws.client.post(
        "/api/v1/agents",
        json={"handle": "ben", "name": "Ben", "level": "frontline", "teams": ["frontline"]} | hours,
        headers=admin,
    )
    assert made.status_code == 201, made.text
    changed = ws.client.patch(
        "/api/v1/teams/frontline", json={"assignment": strategy}, headers=admin
    )
    assert changed.status_code == 200, changed.text


def handed_out(ws: Workspace, case_id: int) -> list[dict[str, Any]]:
    entries = read(ws, f"/cases/{case_id}/audit")["items"]
    return [e for e in entries if e["kind"] == "assign" and e["data"].get("trigger") == "hand-out"]


def test_a_night_backlog_is_handed_out_when_the_first_shift_starts(workspace: Workspace) -> None:
    workspace.clock.set(EARLY)
    office_team(workspace)
    backlog = [open_case(workspace)["id"] for _ in range(3)]
    assert [assignee_of(workspace, case) for case in backlog] == [None, None, None]
    tick(workspace.database, now=workspace.clock.now_us(), batch=100)
    assert [assignee_of(workspace, case) for case in backlog] == [None, None, None]

    # The worker looks again when the shift starts (09:00 Berlin), not before.
    start = to_us(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    tick(workspace.database, now=start - 1, batch=100)
    assert [assignee_of(workspace, case) for case in backlog] == [None, None, None]
    workspace.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    report = tick(workspace.database, now=start, batch=100)
    assert report.handed_out == 3
    # Oldest first, in the team's turn.
    assert [assignee_of(workspace, case) for case in backlog] == ["ana", "ben", "ana"]
    entry = handed_out(workspace, backlog[0])[0]
    assert entry["actor"] == "hand-out"
    assert entry["data"]["strategy"] == "round_robin"
    assert tick(workspace.database, now=start + 60_000_000, batch=100).handed_out == 0


def test_the_most_urgent_waiting_case_goes_out_first(workspace: Workspace) -> None:
    # Ten minutes before the shift: the urgent case falls due five minutes into it.
    workspace.clock.set(datetime(2026, 11, 30, 7, 50, tzinfo=UTC))
    office_team(workspace, capacity=1)
    workspace.client.patch(
        "/api/v1/agents/ben", json={"active": False}, headers=workspace.headers()
    )
    calm = open_case(workspace, priority="P4")["id"]
    urgent = open_case(workspace, priority="P1")["id"]
    start = to_us(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert tick(workspace.database, now=start, batch=100).handed_out == 1
    assert (assignee_of(workspace, urgent), assignee_of(workspace, calm)) == ("ana", None)


def test_a_case_nobody_can_take_does_not_hold_back_the_ones_behind_it(workspace: Workspace) -> None:
    workspace.clock.set(datetime(2026, 11, 30, 7, 50, tzinfo=UTC))
    office_team(workspace, strategy="skills")
    admin = workspace.headers("admin")
    for handle in ("ana", "ben"):
        changed = workspace.client.patch(
            f"/api/v1/agents/{handle}", json={"skills": ["accounts"]}, headers=admin
        )
        assert changed.is_success, changed.text
    # The most urgent case asks for a skill nobody has: it waits, and must not block the queue.
    stuck = open_case(workspace, priority="P1", category="hardware")["id"]
    accounts = open_case(workspace, priority="P4", category="accounts")["id"]
    start = to_us(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert tick(workspace.database, now=start, batch=100).handed_out == 1
    assert assignee_of(workspace, stuck) is None
    assert assignee_of(workspace, accounts) in ("ana", "ben")


def test_resolving_a_case_hands_the_next_waiting_one_to_whoever_freed_up(
    workspace: Workspace,
) -> None:
    office_team(workspace, strategy="least_loaded", capacity=1)
    first, second, third = (open_case(workspace)["id"] for _ in range(3))
    assert {assignee_of(workspace, first), assignee_of(workspace, second)} == {"ana", "ben"}
    assert assignee_of(workspace, third) is None
    holder = assignee_of(workspace, first)
    resolved = workspace.client.patch(
        f"{CASES}/{first}",
        json={"status": "resolved"},
        headers=workspace.headers("supervisor", **{"If-Match": '"1"'}),
    )
    assert resolved.status_code == 200, resolved.text
    assert tick(workspace.database, now=workspace.clock.now_us(), batch=100).handed_out == 1
    assert assignee_of(workspace, third) == holder
    assert handed_out(workspace, third)


def test_someone_coming_back_from_away_gets_the_waiting_cases(workspace: Workspace) -> None:
    office_team(workspace)
    admin = workspace.headers("admin")
    for handle in ("ana", "ben"):
        assert workspace.client.patch(
            f"/api/v1/agents/{handle}", json={"status": "away"}, headers=admin
        ).is_success
    case = open_case(workspace)["id"]
    tick(workspace.database, now=workspace.clock.now_us(), batch=100)
    assert assignee_of(workspace, case) is None
    back = workspace.client.patch("/api/v1/agents/ben", json={"status": "available"}, headers=admin)
    assert back.is_success
    assert tick(workspace.database, now=workspace.clock.now_us(), batch=100).handed_out == 1
    assert assignee_of(workspace, case) == "ben"


def test_two_workers_hand_each_waiting_case_out_exactly_once(workspace: Workspace) -> None:
    workspace.clock.set(EARLY)
    office_team(workspace)
    backlog = [open_case(workspace)["id"] for _ in range(12)]
    start = to_us(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        counts.append(hand_out_due(workspace.database, now=start, batch=100))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 12
    assert all(assignee_of(workspace, case) in ("ana", "ben") for case in backlog)
    with workspace.database.read() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.actor == "hand-out")).all()
        loads = {row[0]: row[1] for row in session.execute(select(Agent.handle, Agent.open_cases))}
    assert sorted(e.case_id for e in entries) == backlog
    assert (loads["ana"], loads["ben"]) == (6, 6)


def test_a_team_without_a_strategy_keeps_its_cases_in_the_queue(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    later = workspace.clock.now_us() + int(timedelta(hours=1).total_seconds() * 1_000_000)
    assert tick(workspace.database, now=later, batch=100).handed_out == 0
    assert assignee_of(workspace, case) is None
