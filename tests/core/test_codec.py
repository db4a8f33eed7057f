"""A case's engine state survives a round trip through JSON, and bad stored states are refused."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from escalon.core import engine
from escalon.core.codec import StateFormatError, state_from_json, state_to_json
from escalon.core.events import parse_event
from escalon.core.policy import Policy
from escalon.core.state import CaseState
from tests.builders.engine import FR_BREACH, ev, make_policy, opened, us

RULES = (
    FR_BREACH
    + """
- name: no ack
  trigger: escalation.unacknowledged
  after: 30m
  do:
    - escalate: {up: 1}
"""
)


def _busy_case(policy: Policy) -> CaseState:
    """A case with cycles, tallies, a status log, an approval and a fired timed rule."""
    decision = engine.apply_event(
        None, policy, parse_event(opened("2026-11-30 09:00", priority="P1"))
    )
    for event in (
        ev("status.changed", "2026-11-30 09:05", status="pending_customer"),
        ev("customer.message", "2026-11-30 09:06", body="any news?"),
        ev("approval.requested", "2026-11-30 09:07", agent="a", kind="refund", amount=12.5),
    ):
        decision = engine.apply_event(decision.state, policy, parse_event(event))
    return engine.evaluate(decision.state, policy, us("2026-11-30 11:00")).state


def test_a_state_reads_back_equal_to_what_was_written() -> None:
    state = _busy_case(make_policy(RULES))
    assert state.rule_marks
    assert state.tallies
    assert len(state.status_log) > 2
    assert state_from_json(state_to_json(state)) == state


def test_the_engine_decides_the_same_on_a_state_read_back() -> None:
    policy = make_policy(RULES)
    state = _busy_case(policy)
    later = us("2026-12-01 12:00")
    direct = engine.evaluate(state, policy, later)
    restored = engine.evaluate(state_from_json(state_to_json(state)), policy, later)
    assert [a.record() for a in direct.actions] == [a.record() for a in restored.actions]
    assert direct.next_check_at == restored.next_check_at


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ("{", "not JSON"),
        ('{"v": 99}', "unknown case state format 99"),
        ('{"v": 1, "case": "C1"}', "incomplete"),
        ("[1, 2]", "unknown case state format None"),
    ],
)
def test_a_state_that_cannot_be_read_says_why(stored: str, problem: str) -> None:
    with pytest.raises(StateFormatError, match=problem):
        state_from_json(stored)


def test_a_state_stored_before_a_newer_field_loads_with_its_default() -> None:
    # `remembered` came after the first stored states: those lack it and must still load.
    state = _busy_case(make_policy(RULES))
    stored = json.loads(state_to_json(state))
    del stored["remembered"]
    restored = state_from_json(json.dumps(stored))
    assert restored.remembered == {}
    assert restored == state


def test_every_stored_field_is_written() -> None:
    written = json.loads(state_to_json(CaseState("C1", "fp", "K1", 1, "P3", "frontline")))
    cached = {"memo", "spans", "anchors", "dues"}
    assert set(written) == {"v"} | {item.name for item in fields(CaseState)} - cached


def test_a_copy_has_every_field_and_its_own_changing_mappings() -> None:
    state = _busy_case(make_policy(RULES))
    copied = state.copy()
    for item in fields(CaseState):
        assert getattr(copied, item.name) == getattr(state, item.name), item.name
    copied.clocks.clear()
    copied.tallies.clear()
    copied.rule_marks.clear()
    assert state.clocks
    assert state.tallies
    assert state.rule_marks
