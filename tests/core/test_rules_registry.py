"""The rule registry: one module per trigger, condition and action, and what derives from it."""

from __future__ import annotations

import importlib

import pytest

from escalon.core import rules
from escalon.core.policy.model import ACTION_KINDS, TRIGGERS, ActionSpec, Conditions, RuleSpec
from tests.builders.engine import make_policy


@pytest.mark.parametrize(
    ("package", "table"),
    [("triggers", rules.TRIGGERS), ("conditions", rules.CONDITIONS), ("actions", rules.ACTIONS)],
)
def test_each_rule_lives_in_a_module_named_after_it(package: str, table: dict[str, object]) -> None:
    for name, rule in table.items():
        module = importlib.import_module(f"escalon.core.rules.{package}.{name.replace('.', '_')}")
        assert module.RULE is rule, name


def test_the_policy_model_is_built_from_the_registry() -> None:
    assert tuple(rules.TRIGGERS) == TRIGGERS
    assert tuple(Conditions.model_fields) == tuple(rules.CONDITIONS)
    assert tuple(ActionSpec.model_fields) == tuple(rules.ACTIONS) == ACTION_KINDS
    assert set(rules.PARAMETERS) <= set(RuleSpec.model_fields)


def test_urgent_triggers_are_those_that_say_something_went_wrong() -> None:
    assert {
        "sla.breach",
        "escalation.unacknowledged",
        "level.timeout",
        "ola.breach",
    } == rules.URGENT_TRIGGERS


@pytest.mark.parametrize(
    ("condition", "reads_signals"),
    [
        ("{intent: complaint}", True),
        ("{language: de}", True),
        ("{sentiment_below: -0.5}", True),
        ("{contains: [refund]}", False),
        ("{tier: gold}", False),
    ],
)
def test_the_replay_needs_the_detector_only_for_rules_that_read_its_signals(
    condition: str, reads_signals: bool
) -> None:
    policy = make_policy(f"""
        - name: probe
          trigger: customer.message
          if: {condition}
          do:
            - tag: [hit]
        """)
    assert policy.uses_text_signals is reads_signals


def test_conditions_on_the_case_are_tried_before_those_that_read_the_text() -> None:
    policy = make_policy("""
        - name: probe
          trigger: customer.message
          if: {sentiment_below: 0, contains: [x], tier: gold}
          do:
            - tag: [hit]
        """)
    name_of = {rule.holds: name for name, rule in rules.CONDITIONS.items()}
    tried = [name_of[holds] for holds, _ in policy.rule_checks[0]]
    assert tried == ["tier", "contains", "sentiment_below"]


def test_every_trigger_tells_staff_what_set_a_notice_off() -> None:
    for name, rule in rules.TRIGGERS.items():
        assert rule.cause, name
        assert rule.cause.format(metric="first response") == rule.cause.replace(
            "{metric}", "first response"
        ), name
