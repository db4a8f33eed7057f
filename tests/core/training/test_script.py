"""When the scenario's customer writes next: the cues read against what the trainee did."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escalon.core.training.script import Said, due_steps, takes_up
from tests.builders.training import scenario

MINUTE = 60_000_000
SCENARIO = scenario()  # start; reply after 2m; silence after 30m; ignored after 5m


def test_nothing_is_due_while_the_customer_has_an_answer_and_no_reply_step_waits() -> None:
    said = [Said(0, True, step=0), Said(5 * MINUTE, False, "A manager will call you.")]
    due = due_steps(SCENARIO, said, escalated_at=None)
    assert [(item.step, item.at) for item in due] == [(1, 7 * MINUTE)]


def test_silence_is_due_its_wait_after_the_customers_latest_unanswered_message() -> None:
    due = due_steps(SCENARIO, [Said(0, True, step=0)], escalated_at=None)
    assert [(item.step, item.at) for item in due] == [(2, 30 * MINUTE)]


def test_a_reply_that_ignores_the_request_brings_the_angrier_message() -> None:
    said = [Said(0, True, step=0), Said(MINUTE, False, "Please check your spam folder.")]
    due = due_steps(SCENARIO, said, escalated_at=None)
    assert (3, 6 * MINUTE) in [(item.step, item.at) for item in due]


def test_an_escalation_before_the_angrier_message_would_come_stops_it() -> None:
    said = [Said(0, True, step=0), Said(MINUTE, False, "Please check your spam folder.")]
    due = due_steps(SCENARIO, said, escalated_at=3 * MINUTE)
    assert 3 not in [item.step for item in due]


def test_a_step_is_sent_once_and_a_role_play_sends_none() -> None:
    said = [Said(0, True, step=0), Said(30 * MINUTE, True, "Still nothing?", step=2)]
    assert 2 not in [item.step for item in due_steps(SCENARIO, said, escalated_at=None)]
    assert due_steps(SCENARIO, [Said(0, True, step=0)], escalated_at=None, scripted=False) == []


def test_request_words_match_with_their_endings_not_inside_other_words() -> None:
    words = ("manager", "escalate")
    assert takes_up("I have escalated it to our managers.", words)
    assert takes_up("Je transmets à un MANAGER.", words)
    assert not takes_up("It sits at the managerial depot.", words)
    assert takes_up("anything at all", ())


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=600))
def test_no_step_is_ever_due_before_what_cues_it(reply_minute: int, wait: int) -> None:
    reply_at = reply_minute * MINUTE
    said = [Said(0, True, step=0), Said(reply_at, False, "noted")]
    for item in due_steps(SCENARIO, said, escalated_at=None):
        assert item.at >= reply_at
