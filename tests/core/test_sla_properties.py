"""Clock arithmetic agrees with a plain walk over the status history, whatever the history."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from escalon.core.sla import counted, reach
from escalon.core.state import CaseState
from tests.builders.engine import make_policy, us

POLICY = make_policy("")
STANDARD = 2  # the office-hours SLA of the helpers' policy
MINUTE = 60_000_000
OPENED = us("2026-11-30 07:00")
STATUSES = ("open", "pending_customer", "on_hold", "resolved")


def slow_counted(state: CaseState, start: int, until: int) -> int:
    calendar = POLICY.sla_calendars[STANDARD]
    stopped = POLICY.sla_stopped[STANDARD]
    log = state.status_log
    total = 0
    for index, (begin, status) in enumerate(log):
        end = log[index + 1][0] if index + 1 < len(log) else max(until, begin)
        lo, hi = max(begin, start), min(end, until)
        if status not in stopped and hi > lo:
            total += calendar.between_us(lo, hi)
    return total


histories = st.lists(
    st.tuples(st.integers(min_value=1, max_value=3000), st.sampled_from(STATUSES)), max_size=6
)


def make_state(changes: list[tuple[int, str]]) -> CaseState:
    log = [(OPENED, "open")]
    moment = OPENED
    for gap, status in changes:
        moment += gap * MINUTE
        if status != log[-1][1]:
            log.append((moment, status))
    return CaseState(
        "C", POLICY.fingerprint, "K", OPENED, "P3", "frontline", status_log=tuple(log), sla=STANDARD
    )


@settings(max_examples=300, deadline=None)
@given(
    histories, st.integers(min_value=0, max_value=12000), st.integers(min_value=0, max_value=12000)
)
def test_counted_matches_a_walk_over_the_history(
    changes: list[tuple[int, str]], a: int, b: int
) -> None:
    state = make_state(changes)
    start, until = OPENED + min(a, b) * MINUTE, OPENED + max(a, b) * MINUTE
    assert counted(POLICY, state, start, until) == slow_counted(state, start, until)


@settings(max_examples=300, deadline=None)
@given(
    histories, st.integers(min_value=0, max_value=12000), st.integers(min_value=1, max_value=3000)
)
def test_reach_is_the_earliest_instant_with_that_much_counted(
    changes: list[tuple[int, str]], offset: int, minutes: int
) -> None:
    state = make_state(changes)
    start = OPENED + offset * MINUTE
    amount = minutes * MINUTE
    instant = reach(POLICY, state, start, amount)
    horizon = max(start, state.status_log[-1][0]) + 400 * 24 * 60 * MINUTE
    if instant is None:
        # Stopped for good before reaching it: even far in the future it has not counted enough.
        assert slow_counted(state, start, horizon) < amount
        assert state.status_log[-1][1] in POLICY.sla_stopped[STANDARD]
    else:
        assert slow_counted(state, start, instant) == amount
        assert slow_counted(state, start, instant - 1) < amount
