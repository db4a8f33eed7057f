"""The breach forecast's arithmetic: the queue's Poisson estimate, the weekly pace, the stored
model and the calibration measures."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalon.core.forecast.breach import (
    BreachModel,
    ModelError,
    Outlook,
    WeeklyPace,
    breach_probability,
    features,
    likely_answer_by,
    poisson_at_most,
    queue_probability,
)
from escalon.core.forecast.judging import brier, reliability
from escalon.core.forecast.staffing import HOUR_US, WEEK_US
from escalon.core.state import CaseState

MONDAY = 1_797_206_400_000_000  # 2026-12-14 00:00 UTC, a Monday


def test_poisson_at_most_matches_the_closed_forms() -> None:
    assert poisson_at_most(0, 2.0) == pytest.approx(math.exp(-2.0))
    assert poisson_at_most(2, 2.0) == pytest.approx(math.exp(-2.0) * (1 + 2 + 2))
    assert poisson_at_most(-1, 2.0) == 0.0
    assert poisson_at_most(3, 0.0) == 1.0


def test_the_normal_approximation_takes_over_smoothly_for_long_queues() -> None:
    exact = poisson_at_most(400, 400.0)
    approximated = poisson_at_most(401, 400.0)
    assert 0.5 < exact < approximated < 0.53
    assert poisson_at_most(5000, 10000.0) == pytest.approx(0.0, abs=1e-12)


@given(st.integers(0, 300), st.floats(0.0, 500.0))
def test_more_capacity_never_raises_the_breach_chance(ahead: int, mean: float) -> None:
    assert poisson_at_most(ahead, mean + 1.0) <= poisson_at_most(ahead, mean) + 1e-12
    assert poisson_at_most(ahead + 1, mean) >= poisson_at_most(ahead, mean) - 1e-12


def _office_pace() -> WeeklyPace:
    """Six answers an hour on weekdays 09-17 UTC, nothing otherwise."""
    rates = [0.0] * 168
    for day in range(5):
        for hour in range(9, 17):
            rates[day * 24 + hour] = 6.0
    return WeeklyPace(tuple(rates))


def test_the_pace_sums_over_hours_days_and_weeks() -> None:
    pace = _office_pace()
    assert pace.weekly == 240.0
    nine = MONDAY + 9 * HOUR_US
    assert pace.expected(nine, nine + HOUR_US // 2) == pytest.approx(3.0)
    # Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday.
    friday_four = MONDAY + (4 * 24 + 16) * HOUR_US
    assert pace.expected(friday_four, friday_four + 66 * HOUR_US) == pytest.approx(12.0)
    assert pace.expected(nine, nine + 2 * WEEK_US + HOUR_US) == pytest.approx(486.0)
    assert pace.expected(nine, nine) == 0.0


@given(st.integers(0, 2 * 168 * 60), st.integers(0, 3 * 168 * 60))
def test_spans_add_up(start_minutes: int, length_minutes: int) -> None:
    pace = _office_pace()
    start = MONDAY + start_minutes * 60_000_000
    middle = start + length_minutes * 30_000_000
    end = start + length_minutes * 60_000_000
    whole = pace.expected(start, end)
    assert whole == pytest.approx(pace.expected(start, middle) + pace.expected(middle, end))


def test_a_pace_must_cover_the_week() -> None:
    with pytest.raises(ValueError, match="168"):
        WeeklyPace((1.0,) * 24)


def test_the_queue_probability_is_late_when_the_queue_outlasts_the_answers() -> None:
    assert queue_probability(Outlook(ahead=20, expected_answers=5.0, pace_now=6, present=1)) > 0.99
    assert queue_probability(Outlook(ahead=0, expected_answers=5.0, pace_now=6, present=1)) < 0.01


def test_likely_answer_by_waits_for_the_next_working_hours() -> None:
    pace = _office_pace()
    friday_evening = MONDAY + (4 * 24 + 18) * HOUR_US
    answer = likely_answer_by(2, pace, friday_evening)
    assert answer is not None
    next_monday_nine = MONDAY + WEEK_US + 9 * HOUR_US
    assert next_monday_nine < answer < next_monday_nine + HOUR_US
    assert likely_answer_by(2, WeeklyPace((0.0,) * 168), friday_evening) is None


def _state() -> CaseState:
    return CaseState(
        case="C1", policy="p", customer="K", opened_at=MONDAY, priority="P2", team="t", tier="gold"
    )


def test_the_model_reads_its_weights_and_nothing_else() -> None:
    model = BreachModel(-1.0, {"queue_logit": 1.0, "tier=gold": 2.0}, {"cases": 10})
    found = features(
        _state(),
        "first_response",
        Outlook(3, 3.0, 1.0, 1),
        now=MONDAY + HOUR_US,
        due=MONDAY + 3 * HOUR_US,
        target=4 * 3600 * 1_000_000,
        priority_rank=1,
    )
    assert found["tier=gold"] == 1.0
    assert found["metric=first_response"] == 1.0
    assert found["share_used"] == pytest.approx(0.5)
    expected = 1 / (1 + math.exp(-(-1.0 + found["queue_logit"] + 2.0)))
    assert model.probability(found) == pytest.approx(expected)


def test_a_model_round_trips_through_json_data_and_bad_data_is_named() -> None:
    model = BreachModel(0.5, {"ahead_log": -0.25}, {"cases": 3})
    assert BreachModel.from_data(model.to_data()) == model
    with pytest.raises(ModelError, match="format"):
        BreachModel.from_data({"format": 99, "kind": "breach"})
    with pytest.raises(ModelError, match="intercept"):
        BreachModel.from_data({**model.to_data(), "intercept": float("nan")})
    with pytest.raises(ModelError, match=r"weights\.ahead_log"):
        BreachModel.from_data({**model.to_data(), "weights": {"ahead_log": "1"}})


def test_without_a_model_the_queue_speaks_and_an_overdue_clock_is_certain() -> None:
    outlook = Outlook(0, 10.0, 1.0, 1)
    early = breach_probability(
        _state(),
        "resolution",
        outlook,
        now=MONDAY,
        due=MONDAY + HOUR_US,
        target=10,
        priority_rank=0,
        model=None,
    )
    assert early == pytest.approx(math.exp(-10.0))
    late = breach_probability(
        _state(),
        "resolution",
        outlook,
        now=MONDAY,
        due=MONDAY,
        target=10,
        priority_rank=0,
        model=None,
    )
    assert late == 1.0


def test_reliability_and_brier_score() -> None:
    forecasts = [0.05, 0.15, 0.85, 0.95]
    outcomes = [False, False, True, False]
    table = reliability(outcomes, forecasts)
    assert [row.cases for row in table] == [1, 1, 1, 1]
    assert table[-1].observed == 0.0
    assert brier(outcomes, forecasts) == pytest.approx((0.05**2 + 0.15**2 + 0.15**2 + 0.95**2) / 4)
