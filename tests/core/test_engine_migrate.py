"""Moving a case to another policy version: what fires, what carries over, what is refused."""

from __future__ import annotations

import pytest

from escalon.core import engine
from escalon.core.events import parse_event
from escalon.core.policy import Policy, parse_policy
from escalon.core.state import CaseState
from tests.builders.engine import FR_BREACH, POLICY_HEAD, ev, make_policy, opened, us

NO_ACK = """
- name: no ack
  trigger: escalation.unacknowledged
  after: 30m
  do:
    - escalate: {up: 1}
"""
SHORT_SLA = """\
slas:
  - name: quick
    calendar: always
    targets: {first_response: 10m, resolution: 4h}
"""


def _opened(policy: Policy, when: str = "2026-11-30 09:00") -> CaseState:
    return engine.apply_event(None, policy, parse_event(opened(when))).state


def test_a_due_instant_the_new_policy_puts_in_the_past_fires_at_the_migration() -> None:
    old = make_policy(FR_BREACH)  # standard: first response 4h in office hours
    new = make_policy(FR_BREACH, slas=SHORT_SLA)
    state = _opened(old)
    decision = engine.migrate(state, old, new, us("2026-11-30 09:30"))
    escalations = [a for a in decision.actions if a.action == "escalate"]
    assert [(a.rule, a.at) for a in escalations] == [("fr breach", us("2026-11-30 09:30"))]
    assert decision.state.policy == new.fingerprint


def test_what_fell_due_before_the_migration_fires_under_the_old_policy() -> None:
    old = make_policy(FR_BREACH, slas=SHORT_SLA)
    new = make_policy("", slas=SHORT_SLA)
    state = _opened(old)
    decision = engine.migrate(state, old, new, us("2026-11-30 09:30"))
    assert [(a.rule, a.at) for a in decision.actions if a.action == "escalate"] == [
        ("fr breach", us("2026-11-30 09:10"))
    ]


NO_ACK_NOTIFY = """
- name: no ack
  trigger: escalation.unacknowledged
  after: 30m
  do:
    - notify: [level_team]
"""


def test_a_timed_rule_that_fired_stays_fired_under_a_rule_of_the_same_name() -> None:
    old = make_policy(NO_ACK_NOTIFY)
    state = _opened(old)
    state = engine.apply_event(
        state,
        old,
        parse_event(ev("case.escalated", "2026-11-30 09:10", agent="a", to="supervisor")),
    ).state
    fired = engine.evaluate(state, old, us("2026-11-30 09:45"))
    assert [(a.action, a.at) for a in fired.actions] == [("notify", us("2026-11-30 09:40"))]
    # The new version lists the same rule after another one: indices move, names do not.
    new = make_policy(FR_BREACH + NO_ACK_NOTIFY)
    decision = engine.migrate(fired.state, old, new, us("2026-11-30 09:50"))
    later = engine.evaluate(decision.state, new, us("2026-11-30 12:59"))
    assert [a.action for a in decision.actions + later.actions] == []


def test_a_timed_rule_of_a_new_name_counts_from_its_own_start() -> None:
    old = make_policy(NO_ACK_NOTIFY)
    state = _opened(old)
    state = engine.apply_event(
        state,
        old,
        parse_event(ev("case.escalated", "2026-11-30 09:10", agent="a", to="supervisor")),
    ).state
    fired = engine.evaluate(state, old, us("2026-11-30 09:45")).state
    renamed = make_policy(NO_ACK_NOTIFY.replace("name: no ack", "name: still no ack"))
    decision = engine.migrate(fired, old, renamed, us("2026-11-30 09:50"))
    # Its 09:40 instant is already past under the new terms: it fires at the migration.
    assert [(a.rule, a.at) for a in decision.actions] == [("still no ack", us("2026-11-30 09:50"))]


def test_a_policy_without_the_cases_level_is_refused() -> None:
    old = make_policy()
    state = engine.apply_event(
        _opened(old),
        old,
        parse_event(ev("case.escalated", "2026-11-30 09:10", agent="a", to="specialist")),
    ).state
    smaller = parse_policy(
        POLICY_HEAD.replace(
            "  - {name: specialist, team: specialists, authority: {refund: 5000}}\n", ""
        ).replace("  - {name: management, team: management, authority: {refund: unlimited}}\n", "")
        + SHORT_SLA,
        "smaller.yaml",
    )
    with pytest.raises(engine.EventRejected, match="unknown level 'specialist'"):
        engine.migrate(state, old, smaller, us("2026-11-30 09:30"))


def test_migrating_to_the_same_policy_is_just_an_evaluation() -> None:
    policy = make_policy(FR_BREACH)
    state = _opened(policy)
    moved = engine.migrate(state, policy, policy, us("2026-11-30 14:00"))
    plain = engine.evaluate(state, policy, us("2026-11-30 14:00"))
    assert [a.record() for a in moved.actions] == [a.record() for a in plain.actions]
