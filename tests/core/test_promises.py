"""Honest answer times: the customer is promised the later of the clock's due instant and the
forecast's, and `sla.promise_slipping` tells them anew, once per promise, before it breaks."""

from __future__ import annotations

from escalon.core.state import CaseState
from tests.builders.engine import ev, opened, run_with_foresight, us

SLIPPING = """
- name: tell them the new time
  trigger: sla.promise_slipping
  metric: first_response
  do:
    - notify_customer: update
"""


class Answers:
    """A foresight whose answer instants come from a script (the last one repeats)."""

    def __init__(self, *instants: int | None) -> None:
        self.instants = list(instants)

    def breach_probability(
        self, state: CaseState, metric: str, due: int, target: int, now: int
    ) -> float | None:
        return None

    def answer_by(self, state: CaseState, metric: str, due: int, now: int) -> int | None:
        return self.instants.pop(0) if len(self.instants) > 1 else self.instants[0]


def test_the_promise_is_the_due_instant_when_the_queue_makes_it() -> None:
    state, _ = run_with_foresight(
        SLIPPING, [opened("2026-12-01 10:00")], "2026-12-01 10:00", Answers(us("2026-12-01 11:00"))
    )
    assert state.promised_at == us("2026-12-01 14:00")


def test_the_promise_is_the_forecast_when_the_queue_is_slower() -> None:
    late = us("2026-12-01 16:30")
    state, _ = run_with_foresight(
        SLIPPING, [opened("2026-12-01 10:00")], "2026-12-01 10:00", Answers(late)
    )
    assert state.promised_at == late


def test_without_a_forecast_nothing_is_promised_beyond_the_clock() -> None:
    state, _ = run_with_foresight(SLIPPING, [opened("2026-12-01 10:00")], "2026-12-01 10:00", None)
    assert state.promised_at is None


def test_a_slipping_promise_is_told_once_and_a_new_one_is_kept() -> None:
    # Promised 14:00 at opening (and still so at the opening's look); from the 10:24 look on,
    # the team will answer at 15:00.
    foresight = Answers(us("2026-12-01 11:00"), us("2026-12-01 11:00"), us("2026-12-01 15:00"))
    state, actions = run_with_foresight(
        SLIPPING, [opened("2026-12-01 10:00")], "2026-12-01 13:30", foresight
    )
    told = [a for a in actions if a.action == "notify_customer"]
    assert [(a.at, a.trigger) for a in told] == [(us("2026-12-01 10:24"), "sla.promise_slipping")]
    assert state.promised_at == us("2026-12-01 15:00")


def test_the_answer_ends_the_promise() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("agent.message", "2026-12-01 10:10", agent="ana", public=True, body="Done."),
    ]
    state, _ = run_with_foresight(
        SLIPPING, events, "2026-12-01 10:10", Answers(us("2026-12-01 16:00"))
    )
    assert state.promised_at is None
