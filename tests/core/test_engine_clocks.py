"""SLA clocks: cycles, pauses, re-selection of the SLA, and the engine's purity."""

from __future__ import annotations

from escalon.core.engine import apply_event, evaluate
from escalon.core.events import parse_event
from escalon.core.policy import Policy
from escalon.core.sla import clock_views
from escalon.core.state import CaseState
from tests.builders.engine import drive, ev, make_policy, opened, us

BREACH_RULES = """
- name: breach
  trigger: sla.breach
  do:
    - tag: [breach]
- name: warning
  trigger: sla.warning
  do:
    - tag: [warning]
"""


ON_HOLD_PAUSES = """
slas:
  - name: s
    calendar: always
    warn_at: 100%
    pause_on: [on_hold]
    targets: {first_response: 1h}
"""


def clock_rows(outcome_actions: list) -> list[tuple[str, str | None, str]]:  # type: ignore[type-arg]
    return [
        (action.at_datetime.strftime("%Y-%m-%d %H:%M"), action.metric, action.rule)
        for action in outcome_actions
    ]


def test_next_response_cycle_starts_after_first_response_is_met() -> None:
    policy = make_policy(
        BREACH_RULES,
        slas="""
        slas:
          - name: s
            calendar: office
            targets: {next_response: 2h}
        """,
    )
    events = [
        opened("2026-12-01 09:00"),
        ev("customer.message", "2026-12-01 09:30", body="more info"),  # first response not met yet
        ev("agent.message", "2026-12-01 10:00", agent="a"),
        ev("customer.message", "2026-12-01 11:00", body="still broken"),
        ev("customer.message", "2026-12-01 12:00", body="hello?"),  # cycle already open
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert clock_rows(outcome.actions) == [
        ("2026-12-01 12:30", "next_response", "warning"),
        ("2026-12-01 13:00", "next_response", "breach"),
    ]


def test_breached_next_response_stays_open_until_answered() -> None:
    policy = make_policy(
        BREACH_RULES,
        slas="""
        slas:
          - name: s
            calendar: office
            warn_at: 100%
            targets: {next_response: 1h}
        """,
    )
    events = [
        opened("2026-12-01 09:00"),
        ev("agent.message", "2026-12-01 09:10", agent="a"),
        ev("customer.message", "2026-12-01 10:00"),
        ev("customer.message", "2026-12-01 11:30"),
        ev("agent.message", "2026-12-01 12:00", agent="a"),
        ev("customer.message", "2026-12-01 13:00"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert clock_rows(outcome.actions) == [
        ("2026-12-01 11:00", "next_response", "warning"),
        ("2026-12-01 11:00", "next_response", "breach"),
        ("2026-12-01 14:00", "next_response", "warning"),
        ("2026-12-01 14:00", "next_response", "breach"),
    ]
    assert outcome.report["sla"]["next_response"] == {
        "tracked": 2,
        "met": 0,
        "breached": 2,
        "compliance": 0.0,
    }


def test_periodic_update_runs_only_above_the_first_level() -> None:
    policy = make_policy(
        BREACH_RULES,
        slas="""
        slas:
          - name: s
            calendar: office
            warn_at: 100%
            targets: {periodic_update: 1h}
        """,
    )
    events = [
        opened("2026-12-01 09:00"),
        ev("agent.message", "2026-12-01 09:10", agent="a"),
        ev("case.escalated", "2026-12-01 10:00", agent="a", to="supervisor"),
        ev("agent.message", "2026-12-01 10:45", agent="s"),  # restarts the cycle
        ev("case.escalated", "2026-12-01 13:00", agent="s", to="frontline"),  # ends it
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert [row for row in clock_rows(outcome.actions) if row[2] == "breach"] == [
        ("2026-12-01 11:45", "periodic_update", "breach")
    ]
    figures = outcome.report["sla"]["periodic_update"]
    assert (figures["met"], figures["breached"]) == (1, 1)


def test_pause_on_hold_stops_every_clock() -> None:
    policy = make_policy(BREACH_RULES, slas=ON_HOLD_PAUSES)
    events = [
        opened("2026-12-01 09:00"),
        ev("status.changed", "2026-12-01 09:30", status="on_hold"),
        ev("status.changed", "2026-12-01 12:00", status="open"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert clock_rows(outcome.actions)[-1] == ("2026-12-01 11:30", "first_response", "breach")


def test_pending_customer_does_not_pause_when_the_sla_says_so() -> None:
    policy = make_policy(BREACH_RULES, slas=ON_HOLD_PAUSES)
    events = [
        opened("2026-12-01 09:00"),
        ev("status.changed", "2026-12-01 09:30", status="pending_customer"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert clock_rows(outcome.actions)[-1] == ("2026-12-01 09:00", "first_response", "breach")


def test_customer_reply_resumes_a_pending_case() -> None:
    policy = make_policy(
        "",
        slas="""
        slas:
          - name: s
            calendar: office
            targets: {resolution: 8h}
        """,
    )
    events = [
        opened("2026-12-01 09:00"),
        ev("status.changed", "2026-12-01 10:00", status="pending_customer"),
        ev("customer.message", "2026-12-02 10:00", body="here"),
    ]
    outcome = drive(policy, events)
    assert outcome.states["C1"].status == "open"


def test_resolution_continues_after_reopening() -> None:
    policy = make_policy(
        BREACH_RULES,
        slas="""
        slas:
          - name: s
            calendar: office
            warn_at: 100%
            targets: {resolution: 4h}
        """,
    )
    events = [
        opened("2026-12-01 09:00"),
        ev("status.changed", "2026-12-01 12:00", status="resolved"),  # 3 h counted
        ev("customer.message", "2026-12-02 09:00", body="it broke again"),
    ]
    outcome = drive(policy, events, until="2026-12-03 00:00")
    assert clock_rows(outcome.actions) == [
        ("2026-12-02 10:00", "resolution", "warning"),
        ("2026-12-02 10:00", "resolution", "breach"),
    ]
    state = outcome.states["C1"]
    assert state.reopened == 1


def test_resolving_meets_running_cycles() -> None:
    policy = make_policy(BREACH_RULES)
    events = [
        opened("2026-12-01 09:00"),
        ev("status.changed", "2026-12-01 10:00", status="resolved"),
    ]
    outcome = drive(policy, events, until="2026-12-10 00:00")
    assert outcome.actions == []
    assert outcome.report["sla"]["first_response"]["met"] == 1
    assert outcome.report["sla"]["resolution"]["met"] == 1
    assert outcome.report["resolution_time"]["other"]["median_hours"] == 1.0


def test_priority_change_makes_a_past_due_instant_fire_at_the_change_warning_first() -> None:
    policy = make_policy(BREACH_RULES)
    events = [
        opened("2026-12-01 09:00"),  # standard: first response 4 h
        ev("case.updated", "2026-12-01 09:30", priority="P1"),  # critical: 15 m, always
    ]
    outcome = drive(policy, events, until="2026-12-01 09:40")
    assert clock_rows(outcome.actions) == [
        ("2026-12-01 08:30", "first_response", "warning"),
        ("2026-12-01 08:30", "first_response", "breach"),
    ]
    # Written in the new SLA's calendar (UTC), at the instant of the change.
    assert outcome.actions[0].record()["at"] == "2026-12-01T08:30:00+00:00"
    assert [a.details["tags"] for a in outcome.actions] == [["warning"], ["breach"]]


def test_a_clock_fires_once_per_cycle_even_when_the_target_moves() -> None:
    policy = make_policy(BREACH_RULES)
    events = [
        opened("2026-12-01 09:00", tier="enterprise"),  # first response 1 h, office
        ev("case.updated", "2026-12-01 11:00", tier="standard"),  # 4 h: due moves to 13:00
        ev("case.updated", "2026-12-01 12:00", tier="enterprise"),  # back to 1 h: long past
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    fr = [row for row in clock_rows(outcome.actions) if row[1] == "first_response"]
    assert fr == [
        ("2026-12-01 09:45", "first_response", "warning"),
        ("2026-12-01 10:00", "first_response", "breach"),
    ]


def test_set_priority_rule_reselects_the_sla_in_a_further_pass() -> None:
    policy = make_policy(
        """
        - name: public complaint
          trigger: case.opened
          if: {channel: [social]}
          do:
            - set_priority: {to: P1}
        - name: critical breach
          trigger: sla.breach
          metric: first_response
          do:
            - escalate: {up: 1}
        """
    )
    outcome = drive(
        policy, [opened("2026-12-01 09:00", channel="social")], until="2026-12-01 12:00"
    )
    assert outcome.summary() == [
        ("2026-12-01 09:00", "public complaint", "set_priority", "P3->P1"),
        ("2026-12-01 09:15", "critical breach", "escalate", "frontline->supervisor"),
    ]


def test_evaluate_is_pure_and_idempotent() -> None:
    policy = make_policy(BREACH_RULES)
    opening = parse_event(opened("2026-12-01 09:00"))
    first = apply_event(None, policy, opening)
    before = first.state.copy()
    later = evaluate(first.state, policy, us("2026-12-01 16:00"))
    assert [a.details["tags"] for a in later.actions] == [["warning"], ["breach"]]
    assert first.state.clocks["first_response"].breached_at is None
    assert first.state.clocks == before.clocks
    again = evaluate(later.state, policy, us("2026-12-01 16:00"))
    assert again.actions == ()
    assert again.next_check_at == later.next_check_at


def test_late_evaluation_fires_each_instant_at_its_own_time() -> None:
    policy = make_policy(BREACH_RULES)
    first = apply_event(None, policy, parse_event(opened("2026-12-01 09:00")))
    late = evaluate(first.state, policy, us("2026-12-09 09:00"))
    rows = clock_rows(list(late.actions))
    assert rows == sorted(rows)
    assert rows[0] == ("2026-12-01 12:00", "first_response", "warning")
    assert rows[-1] == ("2026-12-03 17:00", "resolution", "breach")  # lands on a closing time


def test_next_check_is_the_earliest_instant_that_could_change_the_answer() -> None:
    policy = make_policy(BREACH_RULES)
    decision = apply_event(None, policy, parse_event(opened("2026-12-01 09:00")))
    assert decision.next_check_at == us("2026-12-01 12:00")  # 75% of 4 h
    answered = apply_event(
        decision.state, policy, parse_event(ev("agent.message", "2026-12-01 10:00", agent="a"))
    )
    assert answered.next_check_at == us("2026-12-03 11:00")  # 75% of 24 business hours


def test_firing_keys_are_stable_and_unique() -> None:
    policy = make_policy(BREACH_RULES)
    events = [opened("2026-12-01 09:00"), opened("2026-12-01 09:00", "C2")]
    first = drive(policy, events, until="2026-12-10 00:00")
    second = drive(policy, events, until="2026-12-10 00:00")
    keys = [action.key for action in first.actions]
    assert keys == [action.key for action in second.actions]
    assert len(set(keys)) == len(keys)
    assert "C1|breach|sla.breach|first_response#1:breach|0" in keys


def test_clock_views_show_due_remaining_and_pause() -> None:
    policy = make_policy(BREACH_RULES)
    decision = apply_event(None, policy, parse_event(opened("2026-12-01 09:00")))
    paused = apply_event(
        decision.state,
        policy,
        parse_event(ev("status.changed", "2026-12-01 10:00", status="pending_customer")),
    )
    views = {
        view.metric: view for view in clock_views(policy, paused.state, us("2026-12-01 15:00"))
    }
    first = views["first_response"]
    assert first.paused is True
    assert first.counted == 3_600_000_000
    assert first.remaining == 3 * 3_600_000_000
    assert first.due_at is None
    running = {
        view.metric: view for view in clock_views(policy, decision.state, us("2026-12-01 10:00"))
    }
    assert running["first_response"].due_at == us("2026-12-01 13:00")


def test_the_first_due_clock_comes_with_its_warning_instant_in_business_time() -> None:
    from escalon.core.sla import first_due_clock

    def first_due(policy: Policy, state: CaseState) -> tuple[int | None, int | None]:
        due, warning, _metric = first_due_clock(policy, state)
        return due, warning

    policy = make_policy(
        slas="""
        slas:
          - name: s
            calendar: office
            warn_at: 75%
            targets: {first_response: 4h, resolution: 16h}
        """,
    )
    waiting = drive(policy, [opened("2026-12-01 09:00")], until="2026-12-01 09:01")
    assert first_due(policy, waiting.states["C1"]) == (
        us("2026-12-01 13:00"),
        us("2026-12-01 12:00"),
    )
    # Answered: resolution is due first now, two office days on; its warning three quarters in.
    answered = drive(
        policy,
        [opened("2026-12-01 09:00"), ev("agent.message", "2026-12-01 09:30", agent="a")],
        until="2026-12-01 09:31",
    )
    assert first_due(policy, answered.states["C1"]) == (
        us("2026-12-02 17:00"),
        us("2026-12-02 13:00"),
    )
    resolved = drive(
        policy,
        [opened("2026-12-01 09:00"), ev("status.changed", "2026-12-01 09:30", status="resolved")],
    )
    assert first_due(policy, resolved.states["C1"]) == (None, None)
