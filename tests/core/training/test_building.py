"""Scenarios from hand-made histories: which cases become scenarios, their cues, skills and
expectations."""

from __future__ import annotations

from typing import Any

from escalon.core.events import parse_event
from escalon.core.training.building import build_scenarios
from escalon.core.training.scenario import Scenario, read_scenario
from tests.builders.engine import FakeAnalyzer, ev, make_policy, opened

RULES = """
- name: customer asks for a manager
  trigger: customer.message
  if: {intent: manager_request}
  do:
    - escalate: {to: supervisor}
- name: refund above authority
  trigger: approval.requested
  if: {above_authority: refund}
  do:
    - escalate: {to_authority: refund}
"""


def build(events: list[dict[str, Any]]) -> list[Scenario]:
    policy = make_policy(RULES)
    scenarios, _ = build_scenarios(
        [parse_event(event) for event in events],
        policy,
        analyzer=FakeAnalyzer(),
        source="events",
        salt=b"test",
    )
    return scenarios


def manager_history() -> list[dict[str, Any]]:
    return [
        opened("2026-12-01 10:00", customer="jane@example.com", body="My router is broken."),
        ev("agent.message", "2026-12-01 10:05", agent="ann", body="Have you restarted it?"),
        ev("customer.message", "2026-12-01 10:07", body="Yes, twice."),
        ev("customer.message", "2026-12-01 13:07", body="Hello?? Call me on +49 30 1234567"),
        ev("agent.message", "2026-12-01 13:10", agent="ann", body="Checking."),
        ev("customer.message", "2026-12-01 13:12", body="I want your MANAGER now"),
    ]


def test_a_manager_request_gives_a_manager_request_scenario_with_cues_and_delays() -> None:
    (scenario,) = build(manager_history())
    assert scenario.skill == "manager_request"
    assert "repeat_contact" in scenario.also
    cues = [(step.when, step.after) for step in scenario.script]
    # reply 2m after the agent's answer; silence of 3h clamped to 30m; reply after 2m; then
    # the customer's angrier messages for the trainee's silence and an ignored request.
    assert cues[:4] == [("start", 0), ("reply", 120), ("silence", 1800), ("reply", 120)]
    assert [step.when for step in scenario.script[4:]] == ["silence", "ignored"]
    assert scenario.expect.escalate is True
    assert scenario.expect.to_level == "supervisor"
    assert "manager" in scenario.expect.request_words
    assert scenario.id.startswith("events-manager_request-")


def test_short_replies_are_clamped_up_to_half_a_minute() -> None:
    events = manager_history()
    events[2] = ev("customer.message", "2026-12-01 10:05", body="Yes, twice.")
    (scenario,) = build(events)
    assert scenario.script[1].after == 30


def test_the_moods_of_the_added_messages_rise() -> None:
    (scenario,) = build(manager_history())
    order = ("calm", "annoyed", "angry")
    silence, ignored = scenario.script[-2:]
    assert order.index(ignored.mood) >= order.index(silence.mood) > 0


def test_a_case_never_escalated_gives_no_scenario() -> None:
    events = [
        opened("2026-12-01 10:00", body="Where is my parcel?"),
        ev("agent.message", "2026-12-01 10:05", agent="ann", body="On its way."),
        ev("status.changed", "2026-12-01 10:06", status="resolved"),
    ]
    assert build(events) == []


def test_a_refund_above_authority_expects_the_approval_with_its_amount() -> None:
    events = [
        opened("2026-12-01 10:00", body="The order arrived broken, I want my money back."),
        ev("agent.message", "2026-12-01 10:05", agent="ann", body="Sorry to hear that."),
        ev("approval.requested", "2026-12-01 10:06", agent="ann", kind="refund", amount=120),
    ]
    (scenario,) = build(events)
    assert scenario.skill == "refund_above_authority"
    assert scenario.expect.approval is not None
    assert scenario.expect.approval.amount == 120
    assert scenario.expect.to_level == "supervisor"
    assert "refund" in scenario.expect.request_words


def test_a_persons_escalation_is_classified_by_the_customers_words() -> None:
    events = [
        opened("2026-12-01 10:00", body="mood=-0.8 This is the worst service ever"),
        ev("case.escalated", "2026-12-01 10:30", agent="ann", to="supervisor", reason="upset"),
    ]
    (scenario,) = build(events)
    assert scenario.skill == "angry_customer"
    assert scenario.script[0].mood == "angry"
    assert any(item.who == "agent" and "escalated" in item.what for item in scenario.history)


def test_history_masks_texts_and_tells_the_policys_actions_in_words() -> None:
    (scenario,) = build(manager_history())
    text = scenario.to_yaml()
    assert "jane@example.com" not in text
    assert "1234567" not in text
    assert any(
        item.who == "policy" and item.what.startswith("escalated to supervisor (rule ")
        for item in scenario.history
    )
    assert scenario.outcome is not None
    assert scenario.outcome.answered_after == 300


def test_the_first_response_expected_is_the_cases_sla_target() -> None:
    (standard,) = build(manager_history())
    enterprise_events = manager_history()
    enterprise_events[0] = {**enterprise_events[0], "tier": "enterprise"}
    (enterprise,) = build(enterprise_events)
    assert (standard.expect.first_response, enterprise.expect.first_response) == (4 * 3600, 3600)


def test_a_german_conversation_gets_german_added_messages() -> None:
    events = [
        opened("2026-12-01 10:00", body="lang=de Ich will Ihren MANAGER sprechen"),
    ]
    (scenario,) = build(events)
    assert "Ich warte" in scenario.script[-2].say
    assert "Vorgesetzte" in scenario.expect.request_words


def test_every_built_scenario_reads_back_without_problems() -> None:
    (scenario,) = build(manager_history())
    assert read_scenario(scenario.to_yaml(), "built.yaml") == scenario


STUCK = """
- name: stuck at a level
  trigger: level.timeout
  after: 8h
  do:
    - escalate: {up: 1}
"""


def _built(events: list[dict[str, Any]], rules: str) -> list[Scenario]:
    scenarios, _ = build_scenarios(
        [parse_event(event) for event in events],
        make_policy(rules),
        analyzer=FakeAnalyzer(),
        source="events",
        salt=b"test",
    )
    return scenarios


def test_a_history_that_only_goes_quiet_is_no_escalation_after_its_end() -> None:
    quiet = [
        opened("2026-12-01 10:00", customer="c1", body="My router is broken."),
        ev("agent.message", "2026-12-01 10:05", agent="ann", body="Restart it, please."),
        # A later case keeps the stream going past the first one's eight hours at its level.
        opened("2026-12-02 10:00", case="C2", customer="c2", body="Another question."),
    ]
    assert _built(quiet, STUCK) == []
    # The same history saying the case stayed open is a case stuck at its level.
    open_for_real = [
        *quiet[:2],
        ev("status.changed", "2026-12-01 10:06", status="open"),
        quiet[2],
    ]
    (stuck,) = _built(open_for_real, STUCK)
    assert stuck.skill == "slow_answer"
