"""The worker's tick on SQLite and PostgreSQL, on a manual clock: due cases fire once, on time."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text, update

from escalon.cases.models import AuditEntry, Case, Escalation
from escalon.core.state import from_us, to_us
from escalon.worker.timers import QUARANTINE_US, next_due, tick
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace

MINUTE = 60 * 1_000_000


def escalations(ws: Workspace) -> list[tuple[int, str, int]]:
    """(case, rule, at) of every escalation written."""
    with ws.database.read() as session:
        rows = session.execute(
            select(Escalation.case_id, Escalation.rule, Escalation.at).order_by(Escalation.id)
        )
        return [(case, rule, at) for case, rule, at in rows]


def test_a_breach_fires_at_its_due_instant_once(workspace: Workspace) -> None:
    case = open_case(workspace, priority="P1")  # critical: first response within 15 minutes
    due = to_us(workspace.clock.now()) + 15 * MINUTE
    assert next_due(workspace.database) == due
    early = tick(workspace.database, now=due - 1, batch=100)
    assert early.claimed == 0
    assert escalations(workspace) == []
    late = tick(workspace.database, now=due + 3 * MINUTE, batch=100)
    assert late.claimed == 1
    assert late.escalations == 1
    assert escalations(workspace) == [(case["id"], "first response breached", due)]
    again = tick(workspace.database, now=due + 4 * MINUTE, batch=100)
    assert again.claimed == 0
    assert len(escalations(workspace)) == 1
    after = workspace.client.get(f"/api/v1/cases/{case['id']}", headers=workspace.headers()).json()
    assert after["level"] == "supervisor"
    assert after["version"] == 2


def test_a_tick_takes_at_most_its_batch_and_the_rest_wait_their_turn(workspace: Workspace) -> None:
    ids = [open_case(workspace, priority="P1")["id"] for _ in range(5)]
    later = workspace.clock.now_us() + 20 * MINUTE
    sizes = []
    while (report := tick(workspace.database, now=later, batch=2)).claimed:
        sizes.append(report.claimed)
    assert sizes == [2, 2, 1]
    assert sorted(case for case, _rule, _at in escalations(workspace)) == ids


def test_an_unacknowledged_escalation_climbs_after_its_wait(workspace: Workspace) -> None:
    case = open_case(workspace, priority="P1")
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "agent", "body": "Looking."},
        headers=workspace.headers("agent"),
    )
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "needs approval"},
        headers=workspace.headers("agent"),
    )
    escalated_at = workspace.clock.now_us()
    tick(workspace.database, now=escalated_at + 29 * MINUTE, batch=10)
    assert [rule for _case, rule, _at in escalations(workspace)] == ["manual"]
    tick(workspace.database, now=escalated_at + 31 * MINUTE, batch=10)
    assert [(rule, at) for _case, rule, at in escalations(workspace)] == [
        ("manual", escalated_at),
        ("escalation not acknowledged", escalated_at + 30 * MINUTE),
    ]


def test_two_workers_ticking_at_once_fire_each_case_once(workspace: Workspace) -> None:
    ids = [open_case(workspace, priority="P1")["id"] for _ in range(30)]
    later = workspace.clock.now_us() + 20 * MINUTE
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            while tick(workspace.database, now=later, batch=3).claimed:
                pass
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fired = [case for case, _rule, _at in escalations(workspace)]
    assert sorted(fired) == ids


def test_a_case_the_engine_cannot_read_is_set_aside_without_holding_up_others(
    workspace: Workspace,
) -> None:
    broken = open_case(workspace, priority="P1")["id"]
    healthy = open_case(workspace, priority="P1")["id"]
    with workspace.database.write() as session:
        session.execute(update(Case).where(Case.id == broken).values(state='{"v": 1}'))
    later = workspace.clock.now_us() + 20 * MINUTE
    report = tick(workspace.database, now=later, batch=10)
    assert report.failed == [broken]
    assert [case for case, _rule, _at in escalations(workspace)] == [healthy]
    with workspace.database.read() as session:
        retry_at = session.scalar(select(Case.next_check_at).where(Case.id == broken))
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.case_id == broken, AuditEntry.kind == "engine.error"
            )
        ).one()
    assert retry_at == later + QUARANTINE_US
    assert "incomplete" in str(entry.data)


def test_a_case_whose_write_fails_is_set_aside_and_the_batch_goes_on(workspace: Workspace) -> None:
    first = open_case(workspace, priority="P1")["id"]
    second = open_case(workspace, priority="P1")["id"]
    later = workspace.clock.now_us() + 20 * MINUTE
    # Another escalation already holds the firing key the first case is about to write.
    with workspace.database.write() as session:
        session.execute(
            text(
                "INSERT INTO escalations (case_id, firing_key, kind, action, rule, trigger, actor,"
                " at, recorded_at) VALUES (:case, :key, 'hierarchical', 'escalate', 'x', 'x',"
                " 'x', 0, 0)"
            ),
            {
                "case": first,
                "key": f"{first}|first response breached|sla.breach|first_response#1:breach|0",
            },
        )
    report = tick(workspace.database, now=later, batch=10)
    assert report.failed == [first]
    with workspace.database.read() as session:
        fired = session.scalar(
            select(func.count()).select_from(Escalation).where(Escalation.case_id == second)
        )
    assert fired == 1


def test_next_due_is_the_earliest_timer(workspace: Workspace) -> None:
    assert next_due(workspace.database) is None
    open_case(workspace, priority="P3")
    open_case(workspace, priority="P1")
    soonest = next_due(workspace.database)
    assert soonest is not None
    assert from_us(soonest) == from_us(workspace.clock.now_us() + 15 * MINUTE)


def test_a_breach_the_worker_fires_names_whose_case_it_was(workspace: Workspace) -> None:
    case = open_case(workspace, priority="P1")
    given = workspace.client.put(
        f"/api/v1/cases/{case['id']}/assignee",
        json={"assignee": "ana"},
        headers={**workspace.headers("supervisor"), "If-Match": str(case["version"])},
    )
    assert given.status_code == 200, given.text
    due = to_us(workspace.clock.now()) + 15 * MINUTE
    tick(workspace.database, now=due + MINUTE, batch=100)
    with workspace.database.read() as session:
        holders = session.scalars(
            select(Escalation.holder).where(Escalation.case_id == case["id"])
        ).all()
    # The escalation hands the case on; it was ana's when it moved up, which coaching counts.
    assert holders == ["ana"]
