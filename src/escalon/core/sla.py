"""Clock arithmetic: business time counted since an instant, and when it reaches an amount.

A clock counts the business time of the case's SLA calendar, without the spans the case spent in
one of the SLA's pause statuses or resolved. The same measure serves `after` in timed rules.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from escalon.core.calendar import Calendar
from escalon.core.policy.compiled import DEFAULT_STOPPED, Policy
from escalon.core.state import CLOCK_METRICS, CaseState, Cycle

_MISSING = object()

# A case that matches no SLA has no clocks, but timed rules still need a measure: real time.
ALWAYS = Calendar.from_dict({"timezone": "UTC", "hours": "always"}, name="always")


def measure(policy: Policy, state: CaseState) -> tuple[Calendar, frozenset[str]]:
    """The calendar and stopped statuses that currently measure the case's clocks."""
    sla = state.sla
    if sla is None:
        return ALWAYS, DEFAULT_STOPPED
    if state.customer_calendar is not None and policy.sla_follows_customer[sla]:
        return customer_calendar(state.customer_calendar), policy.sla_stopped[sla]
    return policy.sla_calendars[sla], policy.sla_stopped[sla]


def calendar_of(policy: Policy, state: CaseState) -> Calendar:
    """The calendar that currently measures the case's clocks."""
    return measure(policy, state)[0]


def follows_customer(policy: Policy, state: CaseState) -> bool:
    """Whether the case's clocks run on its customer organisation's calendar now."""
    sla = state.sla
    return (
        sla is not None and state.customer_calendar is not None and policy.sla_follows_customer[sla]
    )


def calendar_text(spec: dict[str, object]) -> str:
    """A calendar mapping as the canonical text a case state keeps (one text per calendar)."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)


@lru_cache(maxsize=256)
def customer_calendar(text: str) -> Calendar:
    """The calendar a case state names by its canonical text, built once per process."""
    return Calendar.from_dict(json.loads(text), name="customer")


def spans(policy: Policy, state: CaseState) -> tuple[int, ...]:
    """Business time counted from the opening to each status change (cached on the state)."""
    found = state.spans
    if found is not None:
        return found
    calendar, stopped = measure(policy, state)
    log = state.status_log
    total = 0
    sums = [0]
    for (begin, status), (end, _) in pairwise(log):
        if status not in stopped:
            total += calendar.between_us(begin, end)
        sums.append(total)
    state.spans = tuple(sums)
    return state.spans


def extend_spans(policy: Policy, state: CaseState, previous: tuple[int, ...]) -> tuple[int, ...]:
    """`spans` after one more status change, from the spans before it (one calendar call)."""
    calendar, stopped = measure(policy, state)
    (begin, status), (end, _) = state.status_log[-2:]
    added = 0 if status in stopped else calendar.between_us(begin, end)
    return (*previous, previous[-1] + added)


def _counted_until(policy: Policy, state: CaseState, moment: int) -> int:
    """Business time counted from the opening to `moment` (at most the latest instant seen)."""
    anchors = state.anchors
    found = anchors.get(moment)
    if found is not None:
        return found
    log = state.status_log
    index = bisect_right(log, moment, key=_instant) - 1
    if index < 0:
        total = 0
    else:
        sums = spans(policy, state)
        begin, status = log[index]
        calendar, stopped = measure(policy, state)
        total = sums[index]
        if status not in stopped and moment != begin:
            total += calendar.between_us(begin, moment)
    # Only instants the case has lived through are kept: later changes cannot move them.
    if moment <= state.updated_at:
        anchors[moment] = total
    return total


def _instant(entry: tuple[int, str]) -> int:
    return entry[0]


def counted(policy: Policy, state: CaseState, start: int, until: int) -> int:
    """Business microseconds counted from `start` to `until` (0 when until <= start)."""
    if until <= start:
        return 0
    return _counted_until(policy, state, until) - _counted_until(policy, state, start)


def reach(policy: Policy, state: CaseState, start: int, amount: int) -> int | None:
    """The instant at which the clock started at `start` has counted `amount`.

    None when the case's current status stops the clock before it gets there.
    """
    found = state.memo.get((start, amount), _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    return reach_afresh(policy, state, start, amount)


def reach_afresh(policy: Policy, state: CaseState, start: int, amount: int) -> int | None:
    """`reach` for a caller that found nothing in the memo: work it out and remember it."""
    sla = state.sla
    if sla is None:
        calendar, stopped = ALWAYS, DEFAULT_STOPPED
    else:
        calendar, stopped = policy.sla_calendars[sla], policy.sla_stopped[sla]
        if state.customer_calendar is not None and policy.sla_follows_customer[sla]:
            calendar = customer_calendar(state.customer_calendar)
    log = state.status_log
    last_begin, last_status = log[-1]
    result: int | None
    if start >= last_begin:
        # The usual case: the clock started after the latest change of status.
        result = None if last_status in stopped else calendar.add_us(start, amount)
    else:
        sums = spans(policy, state)
        target = _counted_until(policy, state, start) + amount
        index = bisect_left(sums, target)
        if index < len(sums):
            # Reached inside the span that ends at change `index` (so that span was running).
            result = calendar.add_us(log[index - 1][0], target - sums[index - 1])
        elif last_status in stopped:
            result = None
        else:
            result = calendar.add_us(last_begin, target - sums[-1])
    state.memo[start, amount] = result
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
                breached=has_breached(policy, state, cycle, now),
            )
        )
    return views


def has_breached(policy: Policy, state: CaseState, cycle: Cycle, moment: int) -> bool:
    """Whether a cycle reached its due instant by `moment` (recorded, or found now)."""
    if cycle.breached_at is not None:
        return True
    if cycle.ended_at is not None or state.sla is None:
        return False  # an ended cycle was settled when it ended
    target = policy.slas[state.sla].targets.get(cycle.metric)
    if target is None:
        return False
    due = reach(policy, state, cycle.started_at, target)
    return due is not None and due <= moment


def is_running(state: CaseState, cycle: Cycle) -> bool:
    """Whether a cycle is still to be met (resolution runs until the case is resolved)."""
    if cycle.metric == "resolution":
        return state.status not in ("resolved", "closed")
    return cycle.ended_at is None


RESPONSE_METRICS = ("first_response", "next_response", "periodic_update")


def first_due_clock(policy: Policy, state: CaseState) -> tuple[int | None, int | None, str | None]:
    """(due, warning, metric) of the running clock that falls due first; Nones without one.

    The warning instant is where the SLA's `warn_at` share of the target is used up, so a
    dashboard can colour a case the moment the policy itself would warn.
    """
    if state.sla is None:
        return None, None, None
    sla = policy.slas[state.sla]
    first: tuple[int, Cycle, int, str] | None = None
    for metric, cycle in state.clocks.items():
        target = sla.targets.get(metric)
        if target is None or not is_running(state, cycle):
            continue
        due = reach(policy, state, cycle.started_at, target)
        if due is not None and (first is None or due < first[0]):
            first = (due, cycle, target, metric)
    if first is None:
        return None, None, None
    due, cycle, target, metric = first
    return due, reach(policy, state, cycle.started_at, round(target * sla.warn_at)), metric


def earliest_due(
    policy: Policy,
    state: CaseState,
    metrics: tuple[str, ...] = CLOCK_METRICS,
    *,
    after: int | None = None,
) -> int | None:
    """The earliest due instant among the case's running clocks of `metrics`.

    Past instants count too, unless `after` is given: then only instants after it.
    """
    if state.sla is None:
        return None
    targets = policy.slas[state.sla].targets
    earliest: int | None = None
    for metric, cycle in state.clocks.items():
        target = targets.get(metric)
        if target is None or metric not in metrics or not is_running(state, cycle):
            continue
        due = reach(policy, state, cycle.started_at, target)
        if due is None or (after is not None and due <= after):
            continue
        if earliest is None or due < earliest:
            earliest = due
    return earliest
