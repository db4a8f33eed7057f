"""The demo workspace: its breaches and its climbing escalation happen again on every start, and
its resolved case names a root cause. The clock is injected; nothing sleeps."""

from __future__ import annotations

from sqlalchemy import select

from escalon import demo
from escalon.cases.models import AuditEntry, Case
from escalon.clock import ManualClock
from escalon.core.signals import MANAGER_REQUEST, TextSignals
from escalon.database import Database
from escalon.worker.timers import tick


def fired_since(database: Database, since_us: int) -> tuple[int, int]:
    """(first-response breaches, engine escalations) recorded at or after `since_us`."""
    with database.read() as session:
        rows = session.execute(
            select(AuditEntry.kind, AuditEntry.data).where(AuditEntry.at >= since_us)
        ).all()
    breaches = sum(
        kind == "sla.breach" and (data or {}).get("metric") == "first_response"
        for kind, data in rows
    )
    return breaches, sum(kind == "escalate" for kind, _ in rows)


def run_worker_for(database: Database, clock: ManualClock, minutes: int) -> None:
    """Let the worker fire what falls due, a minute at a time."""
    for _ in range(minutes):
        clock.advance(minutes=1)
        tick(database, now=clock.now_us(), batch=100)


def test_a_second_start_breaches_and_climbs_again(database: Database, clock: ManualClock) -> None:
    first = demo.ensure(database, clock=clock, analyzer=None)
    started = clock.now_us()
    run_worker_for(database, clock, 5)
    breaches, escalations = fired_since(database, started)
    assert first.seeded
    assert first.timed == 4
    assert breaches == 3
    assert escalations == 4, escalations  # three breaches and the escalation nobody acknowledged

    clock.advance(hours=3)  # the visitor comes back later
    run_worker_for(database, clock, 1)
    second = demo.ensure(database, clock=clock, analyzer=None)
    restarted = clock.now_us()
    assert fired_since(database, restarted) == (0, 0)
    run_worker_for(database, clock, 5)

    assert not second.seeded
    assert second.timed == 4
    assert second.cases == first.cases + 4
    breaches, escalations = fired_since(database, restarted)
    assert breaches == 3
    assert escalations == 4, escalations


def test_the_resolved_demo_case_names_its_root_cause(
    database: Database, clock: ManualClock
) -> None:
    demo.ensure(database, clock=clock, analyzer=None)

    with database.read() as session:
        resolved = session.execute(
            select(Case.status, Case.root_cause).where(
                Case.subject == "Password reset link expired"
            )
        ).all()
    assert resolved == [("resolved", "reset link expired before use")]


class _ReadsEverythingAsAngry:
    """A team's own detector that finds every message negative and a manager request."""

    def analyze(self, text: str) -> TextSignals:
        return TextSignals(intents=frozenset({MANAGER_REQUEST}), sentiment=-1.0, label="angry")


def test_the_demo_starts_with_a_detector_that_escalates_its_cases_on_arrival(
    database: Database, clock: ManualClock
) -> None:
    # The scripted hand escalation finds its case already escalated: the demo still starts.
    workspace = demo.ensure(database, clock=clock, analyzer=_ReadsEverythingAsAngry())
    assert workspace.agent_token
    with database.read() as session:
        level = session.scalar(select(Case.level).where(Case.subject == "Nightly data export"))
    assert level not in (None, "frontline")


def test_the_demo_month_shows_a_refund_gap_and_the_training_ground_answers_it(
    database: Database, clock: ManualClock
) -> None:
    from escalon.training import progress

    demo.ensure(database, clock=clock, analyzer=None)
    with database.read() as session:
        needs = progress.needs_of(session, progress.person_of(session, "ana"), now=clock.now_us())
        bens = progress.needs_of(session, progress.person_of(session, "ben"), now=clock.now_us())
    (suggestion,) = needs.suggestions
    assert suggestion.skill == "refund_above_authority"
    assert "5 of 7 refund cases" in suggestion.reason
    assert [offer.slug for offer in suggestion.scenarios] == ["demo-refund-above-authority"]
    assert bens.suggestions == ()
