"""Erlang C against worked numbers, closed forms for one and two agents, and its search."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalon.core.forecast.erlang import (
    StaffingError,
    agents_needed,
    average_wait,
    offered_load,
    service_level,
    wait_probability,
)

# The usual worked example: 100 calls in half an hour, 3 minutes each, 80 % within 20 s,
# 30 % shrinkage. Published answer: 10 erlangs; 11 agents leave 68.21 % waiting; 14 agents
# are needed on duty, 20 rostered.
EXAMPLE = {"arrivals": 100, "interval_seconds": 1800, "handle_seconds": 180}


def test_worked_example_load_and_waiting_at_eleven() -> None:
    load = offered_load(**EXAMPLE)
    assert load == 10
    assert wait_probability(load, 11) == pytest.approx(0.6821, abs=5e-5)
    assert service_level(load, 11, 20, 180) == pytest.approx(0.3896, abs=5e-5)
    assert average_wait(load, 11, 180) == pytest.approx(122.8, abs=0.05)


def test_worked_example_needs_fourteen_on_duty_and_twenty_rostered() -> None:
    answer = agents_needed(**EXAMPLE, target_seconds=20, goal=0.8, shrinkage=0.3)
    assert (answer.on_duty, answer.agents) == (14, 20)
    assert answer.service_level == pytest.approx(0.8884, abs=5e-5)
    assert answer.occupancy == pytest.approx(10 / 14)
    # Thirteen fall just short, which is why the answer is fourteen.
    assert service_level(10, 13, 20, 180) == pytest.approx(0.7956, abs=5e-5)


def test_occupancy_cap_adds_agents_the_service_level_alone_would_not() -> None:
    answer = agents_needed(**EXAMPLE, target_seconds=20, goal=0.8, max_occupancy=0.7)
    assert answer.on_duty == 15  # 10 / 14 is 71 % busy, above the cap
    assert answer.occupancy <= 0.7


@given(st.floats(min_value=0.01, max_value=0.99))
def test_one_agent_waits_as_often_as_it_is_busy(utilisation: float) -> None:
    # M/M/1: the chance to wait is the utilisation.
    assert wait_probability(utilisation, 1) == pytest.approx(utilisation)


@given(st.floats(min_value=0.01, max_value=1.99))
def test_two_agents_match_the_closed_form(load: float) -> None:
    rho = load / 2
    assert wait_probability(load, 2) == pytest.approx(2 * rho**2 / (1 + rho))


@given(
    st.floats(min_value=0.1, max_value=500),
    st.floats(min_value=0.5, max_value=0.99),
    st.floats(min_value=0, max_value=600),
)
def test_answer_is_the_fewest_agents_that_meet_the_goal(
    load: float, goal: float, target: float
) -> None:
    answer = agents_needed(
        arrivals=load, interval_seconds=60, handle_seconds=60, target_seconds=target, goal=goal
    )
    assert answer.service_level >= goal
    fewer = answer.on_duty - 1
    assert fewer <= load or service_level(load, fewer, target, 60) < goal


def test_large_queue_is_answered_without_overflow() -> None:
    answer = agents_needed(
        arrivals=9000, interval_seconds=60, handle_seconds=60, target_seconds=20, goal=0.95
    )
    assert 9000 < answer.on_duty < 9200
    assert math.isfinite(answer.average_wait_seconds)


def test_no_arrivals_need_nobody() -> None:
    answer = agents_needed(**{**EXAMPLE, "arrivals": 0}, target_seconds=20, goal=0.8)
    assert (answer.agents, answer.service_level) == (0, 1.0)


def test_too_few_agents_let_the_queue_grow() -> None:
    assert wait_probability(10, 10) == 1.0
    assert service_level(10, 9, 20, 180) == 0.0
    assert average_wait(10, 10, 180) == math.inf


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"arrivals": -1}, "arrivals must not be negative"),
        ({"interval_seconds": 0}, "interval must be longer than zero"),
        ({"handle_seconds": 0}, "handle time must be longer than zero"),
        ({"goal": 1.0}, "goal must be a share"),
        ({"shrinkage": 1.0}, "shrinkage must be"),
        ({"max_occupancy": 0}, "maximum occupancy"),
        ({"arrivals": 10**9}, "split the queue"),
    ],
)
def test_impossible_questions_say_which_input(change: dict[str, float], words: str) -> None:
    question = {**EXAMPLE, "target_seconds": 20, "goal": 0.8, **change}
    with pytest.raises(StaffingError, match=words):
        agents_needed(**question)
