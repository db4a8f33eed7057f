"""OLA clocks: a team's internal target to act on a case it receives ("act within 2 h").

A cycle starts each time the case lands in a team with an OLA (opening, escalation, routing,
reopening) and stops when the team acts: an agent writes (to the customer or a note), the case
leaves the team, or it is resolved. It counts business time in the OLA's calendar and stands
still in the OLA's pause statuses (by default `pending_customer`); it never pauses while the case
waits for a third party, which is the team's own wait to chase.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from escalon.core.calendar import Calendar
from escalon.core.state import CaseState, Cycle

# The metric of an OLA's clock events: `ola:` and the team's name.
METRIC_PREFIX = "ola:"


@dataclass(frozen=True, slots=True)
class OlaTerms:
    """One team's OLA as the engine reads it."""

    team: str
    act_within: int  # business microseconds
    warning: int  # business microseconds after which the warning falls
    calendar: Calendar
    stopped: frozenset[str]  # pause statuses, and resolved and closed

    @property
    def metric(self) -> str:
        """The metric its clock events carry."""
        return f"{METRIC_PREFIX}{self.team}"


def metric_of(team: str) -> str:
    """The clock-event metric of a team's OLA."""
    return f"{METRIC_PREFIX}{team}"


def team_of(metric: str) -> str | None:
    """The team of an OLA clock-event metric (None for an SLA metric)."""
    return metric[len(METRIC_PREFIX) :] if metric.startswith(METRIC_PREFIX) else None


def _instant(entry: tuple[int, str]) -> int:
    return entry[0]


def counted(terms: OlaTerms, log: tuple[tuple[int, str], ...], start: int, end: int) -> int:
    """Business microseconds an OLA clock started at `start` has counted by `end`."""
    total = 0
    index = bisect_right(log, start, key=_instant) - 1
    cursor, status = start, (log[index][1] if index >= 0 else "open")
    for at, changed in log[index + 1 :]:
        if at >= end:
            break
        if status not in terms.stopped:
            total += terms.calendar.between_us(cursor, at)
        cursor, status = at, changed
    if status not in terms.stopped and end > cursor:
        total += terms.calendar.between_us(cursor, end)
    return total


def reach(terms: OlaTerms, log: tuple[tuple[int, str], ...], start: int, amount: int) -> int | None:
    """When an OLA clock started at `start` will have counted `amount`, as the status log
    stands; None while the case's current status stops it before then."""
    remaining = amount
    index = bisect_right(log, start, key=_instant) - 1
    cursor, status = start, (log[index][1] if index >= 0 else "open")
    for at, changed in log[index + 1 :]:
        if status not in terms.stopped:
            span = terms.calendar.between_us(cursor, at)
            if span >= remaining:
                return terms.calendar.add_us(cursor, remaining)
            remaining -= span
        cursor, status = at, changed
    if status in terms.stopped:
        return None
    return terms.calendar.add_us(cursor, remaining)


@dataclass(frozen=True, slots=True)
class OlaView:
    """A case's latest OLA cycle at an instant, as a person would want to see it."""

    team: str
    cycle: int
    started_at: int
    target: int | None  # None when the policy no longer sets an OLA for the team
    counted: int
    warning_at: int | None
    due_at: int | None
    running: bool
    paused: bool
    outcome: str | None
    breached: bool


def ola_view(ola: dict[str, OlaTerms], state: CaseState, now: int) -> OlaView | None:
    """The case's latest OLA cycle measured at `now` (None when it never had one)."""
    cycle = state.ola
    if cycle is None:
        return None
    terms = ola.get(cycle.metric)
    running = cycle.ended_at is None
    end = now if running else cycle.ended_at
    assert end is not None
    if terms is None:
        return OlaView(
            cycle.metric, cycle.number, cycle.started_at, None, end - cycle.started_at,
            None, None, running, False, cycle.outcome, cycle.breached_at is not None,
        )  # fmt: skip
    log = state.status_log
    spent = counted(terms, log, cycle.started_at, end)
    warning_at = due_at = None
    if running:
        warning_at = reach(terms, log, cycle.started_at, terms.warning)
        due_at = reach(terms, log, cycle.started_at, terms.act_within)
    breached = cycle.breached_at is not None or (running and spent >= terms.act_within)
    return OlaView(
        team=cycle.metric,
        cycle=cycle.number,
        started_at=cycle.started_at,
        target=terms.act_within,
        counted=spent,
        warning_at=warning_at,
        due_at=due_at,
        running=running,
        paused=running and state.status in terms.stopped,
        outcome=cycle.outcome,
        breached=breached,
    )


def settled_breach(terms: OlaTerms | None, state: CaseState, cycle: Cycle, at: int) -> int | None:
    """The instant a running cycle reached its target before `at`, if it did (else None)."""
    if terms is None or cycle.breached_at is not None:
        return None
    due = reach(terms, state.status_log, cycle.started_at, terms.act_within)
    return due if due is not None and due < at else None
