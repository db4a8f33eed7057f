"""Clock arithmetic: business time counted since an instant, and when it reaches an amount.

A clock counts the business time of the case's SLA calendar, without the spans the case spent in
one of the SLA's pause statuses or resolved. The same measure serves `after` in timed rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalon.core.calendar import Calendar
from escalon.core.policy.compiled import DEFAULT_STOPPED, Policy
from escalon.core.state import CLOCK_METRICS, CaseState, Cycle

_MISSING = object()

# A case that matches no SLA has no clocks, but timed rules still need a measure: real time.
ALWAYS = Calendar.from_dict({"timezone": "UTC", "hours": "always"}, name="always")


def measure(policy: Policy, state: CaseState) -> tuple[Calendar, frozenset[str]]:
    """The calendar and stopped statuses that currently measure the case's clocks."""
    if state.sla is None:
        return ALWAYS, DEFAULT_STOPPED
    return policy.sla_calendars[state.sla], policy.sla_stopped[state.sla]


def counted(policy: Policy, state: CaseState, start: int, until: int) -> int:
    """Business microseconds counted from `start` to `until` (0 when until <= start)."""
    if until <= start:
        return 0
    key = (start, until, 0)
    memo = state.memo
    if key in memo:
        return memo[key] or 0
    calendar, stopped = measure(policy, state)
    log = state.status_log
    total = 0
    last = len(log) - 1
    for index, (begin, status) in enumerate(log):
        end = log[index + 1][0] if index < last else until
        if end <= start or status in stopped:
            continue
        begin = max(begin, start)
        end = min(end, until)
        if end > begin:
            total += calendar.between_us(begin, end)
        if end >= until:
            break
    memo[key] = total
    return total


def reach(policy: Policy, state: CaseState, start: int, amount: int) -> int | None:
    """The instant at which the clock started at `start` has counted `amount`.

    None when the case's current status stops the clock before it gets there.
    """
    key = (start, amount)
    memo = state.memo
    found = memo.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    calendar, stopped = measure(policy, state)
    log = state.status_log
    remaining = amount
    result: int | None = None
    last = len(log) - 1
    for index, (begin, status) in enumerate(log):
        end = log[index + 1][0] if index < last else None
        if end is not None and end <= start:
            continue
        if status in stopped:
            continue
        begin = max(begin, start)
        if end is None:
            result = calendar.add_us(begin, remaining)
            break
        available = calendar.between_us(begin, end)
        if available >= remaining:
            result = calendar.add_us(begin, remaining)
            break
        remaining -= available
    memo[key] = result
    return result


@dataclass(frozen=True, slots=True)
class ClockView:
    """One clock of a case at an instant, as a person would want to see it."""

    metric: str
    cycle: int
    started_at: int
    target: int | None
    counted: int
    warning_at: int | None
    due_at: int | None
    paused: bool
    running: bool
    warned: bool
    breached: bool

    @property
    def remaining(self) -> int | None:
        """Business time left before the due instant (negative once overdue)."""
        return None if self.target is None else self.target - self.counted


def clock_views(policy: Policy, state: CaseState, now: int) -> list[ClockView]:
    """Every clock of the case, measured at `now` under its current SLA."""
    sla = policy.slas[state.sla] if state.sla is not None else None
    _, stopped = measure(policy, state)
    views = []
    for metric in CLOCK_METRICS:
        cycle = state.clocks.get(metric)
        if cycle is None:
            continue
        target = sla.targets.get(metric) if sla is not None else None
        running = is_running(state, cycle)
        end = now if cycle.ended_at is None else cycle.ended_at
        spent = counted(policy, state, cycle.started_at, end)
        warning_at = due_at = None
        if target is not None and running and sla is not None:
            warning_at = reach(policy, state, cycle.started_at, round(target * sla.warn_at))
            due_at = reach(policy, state, cycle.started_at, target)
        views.append(
            ClockView(
                metric=metric,
                cycle=cycle.number,
                started_at=cycle.started_at,
                target=target,
                counted=spent,
                warning_at=warning_at,
                due_at=due_at,
                paused=running and state.status in stopped,
                running=running,
                warned=cycle.warned_at is not None,
                breached=cycle.breached_at is not None,
            )
        )
    return views


def is_running(state: CaseState, cycle: Cycle) -> bool:
    """Whether a cycle is still to be met (resolution runs until the case is resolved)."""
    if cycle.metric == "resolution":
        return state.status not in ("resolved", "closed")
    return cycle.ended_at is None
