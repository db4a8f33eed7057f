"""Each action of the format does what it says and records exactly what changed."""

from __future__ import annotations

from typing import Any

from tests.builders.engine import drive, ev, make_policy, opened


def run_on_message(
    actions: str, *extra: dict[str, Any], **opening: Any
) -> list[tuple[str, str, str, str]]:
    policy = make_policy(f"""
        - name: act
          trigger: customer.message
          do:
{actions}
        """)
    events = [
        opened("2026-12-01 10:00", **opening),
        *extra,
        ev("customer.message", "2026-12-01 11:00", body="hi"),
    ]
    events.sort(key=lambda event: str(event["at"]))
    return drive(policy, events).summary()


def test_escalate_up_clamps_at_the_top_level() -> None:
    rows = run_on_message("            - escalate: {up: 9}")
    assert rows == [("2026-12-01 11:00", "act", "escalate", "frontline->management")]


def test_escalate_to_a_level_not_above_changes_nothing_but_later_actions_run() -> None:
    extra = ev("case.escalated", "2026-12-01 10:30", agent="a", to="specialist")
    rows = run_on_message(
        "            - escalate: {to: supervisor}\n            - tag: [still]", extra
    )
    assert rows == [
        ("2026-12-01 10:30", "manual", "escalate", "frontline->specialist"),
        ("2026-12-01 11:00", "act", "tag", "still"),
    ]


def test_escalation_moves_the_case_to_the_level_team() -> None:
    policy = make_policy("""
        - name: act
          trigger: customer.message
          do:
            - escalate: {up: 1}
        """)
    outcome = drive(
        policy,
        [opened("2026-12-01 10:00", team="finance"), ev("customer.message", "2026-12-01 11:00")],
    )
    state = outcome.states["C1"]
    assert (state.level, state.team, state.awaiting_ack) == (1, "supervisors", True)


def test_route_is_functional_and_keeps_the_level() -> None:
    policy = make_policy("""
        - name: act
          trigger: customer.message
          do:
            - route: {team: billing}
            - route: {team: billing}
        """)
    outcome = drive(
        policy, [opened("2026-12-01 10:00"), ev("customer.message", "2026-12-01 11:00")]
    )
    assert outcome.summary() == [("2026-12-01 11:00", "act", "route", "frontline->billing")]
    assert (outcome.states["C1"].level, outcome.states["C1"].team) == (0, "billing")
    assert outcome.states["C1"].awaiting_ack is False


def test_set_priority_to_and_raise_record_only_changes() -> None:
    rows = run_on_message(
        "            - set_priority: {to: P3}\n            - set_priority: {raise: 1}\n"
        "            - set_priority: {raise: 5}"
    )
    assert rows == [
        ("2026-12-01 11:00", "act", "set_priority", "P3->P2"),
        ("2026-12-01 11:00", "act", "set_priority", "P2->P1"),
    ]


def test_assign_records_the_strategy_and_team() -> None:
    policy = make_policy("""
        - name: act
          trigger: case.opened
          do:
            - assign: {strategy: least_loaded}
        """)
    outcome = drive(policy, [opened("2026-12-01 10:00")])
    (action,) = outcome.actions
    assert action.details == {"strategy": "least_loaded", "team": "frontline"}


def test_notify_resolves_recipients_from_the_case() -> None:
    extra = ev("case.escalated", "2026-12-01 10:30", agent="a", to="management")
    rows = run_on_message(
        '            - notify: [assignee, level_team, supervisor, "team:finance", "person:ann", '
        '"on_call:supervisors", "webhook:slack", level_team]',
        extra,
    )
    # assignee, level_team and supervisor are all the management team at the top level.
    assert rows[-1] == (
        "2026-12-01 11:00",
        "act",
        "notify",
        "team:management,team:finance,person:ann,on_call:supervisors,webhook:slack",
    )


def test_supervisor_is_the_team_of_the_level_above() -> None:
    rows = run_on_message("            - notify: [supervisor]")
    assert rows == [("2026-12-01 11:00", "act", "notify", "team:supervisors")]


def test_notify_customer_and_tag() -> None:
    rows = run_on_message(
        "            - notify_customer: escalated\n            - tag: [vip, angry]"
    )
    assert rows == [
        ("2026-12-01 11:00", "act", "notify_customer", "escalated"),
        ("2026-12-01 11:00", "act", "tag", "vip,angry"),
    ]


def test_rules_at_one_instant_run_in_file_order_each_seeing_the_last() -> None:
    policy = make_policy("""
        - name: first
          trigger: customer.message
          do:
            - escalate: {up: 1}
        - name: second
          trigger: customer.message
          if: {level: supervisor}
          do:
            - escalate: {up: 1}
        - name: third
          trigger: customer.message
          if: {level: frontline}
          do:
            - tag: [never]
        """)
    outcome = drive(
        policy, [opened("2026-12-01 10:00"), ev("customer.message", "2026-12-01 11:00")]
    )
    assert outcome.summary() == [
        ("2026-12-01 11:00", "first", "escalate", "frontline->supervisor"),
        ("2026-12-01 11:00", "second", "escalate", "supervisor->specialist"),
    ]


def test_manual_de_escalation_is_recorded_as_such() -> None:
    policy = make_policy("")
    events = [
        opened("2026-12-01 10:00"),
        ev("case.escalated", "2026-12-01 10:10", agent="a", to="specialist", reason="db issue"),
        ev("case.escalated", "2026-12-01 10:20", agent="s", to="frontline", reason="fixed"),
        ev("case.routed", "2026-12-01 10:30", agent="a", team="finance", reason="invoice"),
    ]
    outcome = drive(policy, events)
    assert outcome.summary() == [
        ("2026-12-01 10:10", "manual", "escalate", "frontline->specialist"),
        ("2026-12-01 10:20", "manual", "de-escalate", "specialist->frontline"),
        ("2026-12-01 10:30", "manual", "route", "frontline->finance"),
    ]
    assert outcome.actions[1].details["reason"] == "fixed"
    assert outcome.actions[1].trigger == "case.escalated"
    assert outcome.actions[2].trigger == "case.routed"
