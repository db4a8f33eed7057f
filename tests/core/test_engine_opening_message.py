"""Rules on `customer.message` that read text see the opening message (subject and body) too."""

from __future__ import annotations

import textwrap

from escalon.core.policy import parse_policy
from tests.builders.engine import (
    DEFAULT_SLAS,
    POLICY_HEAD,
    FakeAnalyzer,
    drive,
    ev,
    make_policy,
    opened,
)

MANAGER_RULE = """
- name: customer asks for a manager
  trigger: customer.message
  if: {intent: manager_request}
  do:
    - escalate: {to: supervisor}
"""


def test_manager_request_in_the_opening_message_escalates_at_once() -> None:
    outcome = drive(
        make_policy(MANAGER_RULE), [opened("2026-12-01 10:00", body="Get me a MANAGER now.")]
    )
    assert outcome.summary() == [
        ("2026-12-01 10:00", "customer asks for a manager", "escalate", "frontline->supervisor")
    ]
    assert outcome.actions[0].trigger == "customer.message"


def test_manager_request_in_the_opening_subject_counts() -> None:
    outcome = drive(
        make_policy(MANAGER_RULE),
        [opened("2026-12-01 10:00", subject="MANAGER please", body="see subject")],
    )
    assert [row[2] for row in outcome.summary()] == ["escalate"]


def test_opening_message_without_the_intent_does_not_escalate() -> None:
    outcome = drive(make_policy(MANAGER_RULE), [opened("2026-12-01 10:00", body="Hello")])
    assert outcome.actions == []


def test_rule_without_text_conditions_still_waits_for_a_later_message() -> None:
    policy = make_policy("""
        - name: every reply
          trigger: customer.message
          do:
            - tag: [replied]
        """)
    events = [opened("2026-12-01 10:00"), ev("customer.message", "2026-12-01 11:00", body="hi")]
    assert drive(policy, events).summary() == [
        ("2026-12-01 11:00", "every reply", "tag", "replied")
    ]


def test_contains_and_sentiment_read_the_opening_message() -> None:
    policy = make_policy("""
        - name: angry
          trigger: customer.message
          if: {sentiment_below: -0.5}
          do:
            - tag: [angry]
        - name: lawyer
          trigger: customer.message
          if: {contains: [lawyer]}
          do:
            - tag: [legal]
        """)
    outcome = drive(policy, [opened("2026-12-01 10:00", body="mood=-0.9 my Lawyer will call")])
    assert [row[3] for row in outcome.summary()] == ["angry", "legal"]


def test_opening_rules_of_both_triggers_fire_in_file_order_reading_the_text_once() -> None:
    policy = make_policy("""
        - name: first
          trigger: customer.message
          if: {intent: complaint}
          do:
            - tag: [message]
        - name: second
          trigger: case.opened
          if: {intent: complaint}
          do:
            - tag: [opened]
        """)
    analyzer = FakeAnalyzer()
    outcome = drive(policy, [opened("2026-12-01 10:00", body="COMPLAINT")], analyzer=analyzer)
    assert [(row[1], row[3]) for row in outcome.summary()] == [
        ("first", "message"),
        ("second", "opened"),
    ]
    assert analyzer.calls == 1


def test_manager_request_fires_once_when_the_same_text_comes_again_as_a_message() -> None:
    outcome = drive(
        make_policy(MANAGER_RULE),
        [
            opened("2026-12-01 10:00", body="MANAGER"),
            ev("customer.message", "2026-12-01 10:30", body="MANAGER again"),
        ],
    )
    # Already at supervisor: the second request changes nothing and records nothing.
    assert [row[0] for row in outcome.summary()] == ["2026-12-01 10:00"]


def test_opening_without_text_fires_no_message_rule() -> None:
    outcome = drive(make_policy(MANAGER_RULE), [opened("2026-12-01 10:00", subject="", body="")])
    assert outcome.actions == []


CATEGORY_POLICY = """
- name: billing to finance
  trigger: case.opened
  if: {category: [billing]}
  do:
    - route: {team: finance}
"""
CATEGORIES = """
categories:
  billing: {keywords: [invoice]}
"""


def test_the_replay_categorises_an_opening_by_the_policy_keywords() -> None:
    rules = "rules:\n" + textwrap.indent(textwrap.dedent(CATEGORY_POLICY).strip(), "  ") + "\n"
    policy = parse_policy(POLICY_HEAD + DEFAULT_SLAS + rules + CATEGORIES, "categories.yaml")
    outcome = drive(
        policy,
        [
            opened("2026-12-01 10:00", category=None, body="Your INVOICE is wrong"),
            opened("2026-12-01 10:00", "C2", category="technical", body="Your invoice is wrong"),
            opened("2026-12-01 10:00", "C3", category=None, body="Hello"),
        ],
    )
    assert outcome.summary() == [
        ("2026-12-01 10:00", "billing to finance", "route", "frontline->finance")
    ]
    assert outcome.actions[0].case == "C1"
    assert [outcome.states[c].category for c in ("C1", "C2", "C3")] == [
        "billing",
        "technical",
        None,
    ]


def test_a_rule_on_the_language_alone_reads_the_opening_message() -> None:
    rule = """
- name: german speakers go to the DACH desk
  trigger: customer.message
  if: {language: [de]}
  do:
    - tag: [dach]
"""
    outcome = drive(make_policy(rule), [opened("2026-12-01 10:00", body="Hallo lang=de")])
    assert [action.rule for action in outcome.actions] == ["german speakers go to the DACH desk"]
