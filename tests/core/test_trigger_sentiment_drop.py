"""`customer.sentiment_drop`: rules fire when the customer's sentiment falls by at least `by`
since their previous message, in the replay, in the engine the live service calls, and in the
checker, the English and the replay's need for a detector."""

from __future__ import annotations

from typing import Any

from escalon.core import engine
from escalon.core.codec import state_from_json, state_to_json
from escalon.core.events import parse_event
from escalon.core.policy import check_text
from escalon.core.rules.english import rule_sentence
from tests.builders.engine import POLICY_HEAD, FakeAnalyzer, drive, ev, make_policy, opened

DROP = """
- name: mood turns sour
  trigger: customer.sentiment_drop
  by: 0.5
  do:
    - escalate: {up: 1}
"""


def message(mood: float, when: str, extra: str = "") -> dict[str, Any]:
    return ev("customer.message", when, body=f"{extra} mood={mood}".strip())


def test_a_fall_of_at_least_by_since_the_previous_message_fires() -> None:
    events = [
        opened("2026-12-01 10:00", body="hello mood=0.2"),
        message(0.1, "2026-12-01 10:10"),  # fell by 0.1 since the opening text
        message(-0.4, "2026-12-01 10:20"),  # fell by exactly 0.5
    ]
    outcome = drive(make_policy(DROP), events)
    assert outcome.summary() == [
        ("2026-12-01 10:20", "mood turns sour", "escalate", "frontline->supervisor")
    ]
    assert outcome.actions[0].trigger == "customer.sentiment_drop"


def test_a_slow_slide_never_fires_each_step_being_small() -> None:
    events = [opened("2026-12-01 10:00", body="mood=0.6")]
    events += [message(0.6 - 0.3 * step, f"2026-12-01 1{step}:00") for step in range(1, 6)]
    assert drive(make_policy(DROP), events).actions == []


def test_the_first_message_has_nothing_to_fall_from() -> None:
    events = [opened("2026-12-01 10:00", body="mood=-0.9")]
    assert drive(make_policy(DROP), events).actions == []


def test_each_rule_fires_at_its_own_threshold() -> None:
    rules = (
        DROP
        + """
- name: mood collapses
  trigger: customer.sentiment_drop
  by: 1.2
  if: {contains: [cancel]}
  do:
    - tag: [collapse]
"""
    )
    events = [
        opened("2026-12-01 10:00", body="mood=0.8"),
        message(0.1, "2026-12-01 10:10", "I will cancel"),  # fell 0.7: only the first
        message(0.9, "2026-12-01 10:20"),
        message(-0.5, "2026-12-01 10:30", "I will cancel"),  # fell 1.4: both
    ]
    rows = drive(make_policy(rules), events).summary()
    assert [(when, rule) for when, rule, _, _ in rows] == [
        ("2026-12-01 10:10", "mood turns sour"),
        ("2026-12-01 10:30", "mood turns sour"),
        ("2026-12-01 10:30", "mood collapses"),
    ]


def test_the_live_engine_fires_it_across_a_stored_state() -> None:
    # The service keeps the state as JSON between events: the previous sentiment survives it.
    policy = make_policy(DROP)
    analyzer = FakeAnalyzer()
    first = engine.apply_event(
        None, policy, parse_event(opened("2026-12-01 10:00", body="mood=0.5")), analyzer=analyzer
    )
    stored = state_from_json(state_to_json(first.state))
    after = engine.apply_event(
        stored, policy, parse_event(message(-0.2, "2026-12-01 10:05")), analyzer=analyzer
    )
    assert [action.action for action in after.actions] == ["escalate"]


def test_without_a_detector_nothing_is_read_or_fired() -> None:
    policy = make_policy(DROP)
    state = engine.apply_event(
        None, policy, parse_event(opened("2026-12-01 10:00", body="mood=0.9"))
    ).state
    decision = engine.apply_event(state, policy, parse_event(message(-0.9, "2026-12-01 10:05")))
    assert decision.actions == ()
    assert decision.state.remembered == {}


def test_the_replay_runs_the_detector_for_it() -> None:
    assert make_policy(DROP).uses_text_signals
    assert not make_policy("").uses_text_signals


def test_the_checker_wants_by_on_this_trigger_only() -> None:
    missing = check_text(
        POLICY_HEAD + "slas: []\nrules:\n" + DROP.replace("  by: 0.5\n", ""), "p.yaml"
    )
    assert [problem.message for problem in missing.errors] == [
        "customer.sentiment_drop needs 'by' (how far the sentiment must fall, from 0 to 2), e.g. 0.5"
    ]
    elsewhere = check_text(
        POLICY_HEAD
        + "slas: []\nrules:\n"
        + DROP.replace("customer.sentiment_drop", "customer.message"),
        "p.yaml",
    )
    assert [problem.message for problem in elsewhere.errors] == [
        "only customer.sentiment_drop takes 'by', not customer.message"
    ]
    too_far = check_text(POLICY_HEAD + "slas: []\nrules:\n" + DROP.replace("0.5", "2.5"), "p.yaml")
    assert [problem.path for problem in too_far.errors] == ["rules[0].by"]


def test_it_reads_as_english() -> None:
    rule = make_policy(DROP).rules[0]
    assert rule_sentence(rule) == (
        "When the customer's sentiment has fallen by at least 0.5 since their previous "
        "message, escalate one level up."
    )


def test_the_checker_warns_when_it_relies_on_a_language_the_detector_does_not_read() -> None:
    result = check_text(POLICY_HEAD + "languages: [en, ja]\nslas: []\nrules:\n" + DROP, "p.yaml")
    assert result.ok
    relying = [problem for problem in result.warnings if "relies on reading" in problem.message]
    assert [(problem.path, problem.message.split(",")[0]) for problem in relying] == [
        ("rules[0].trigger", "customer.sentiment_drop relies on reading ja")
    ]
