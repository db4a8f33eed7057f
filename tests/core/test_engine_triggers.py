"""Each trigger of the policy format fires when, and only when, the format says."""

from __future__ import annotations

from tests.builders.engine import FR_BREACH, drive, ev, make_policy, opened

# 2026-12-01 is a Tuesday; the office calendar is Mon-Fri 09:00-17:00 in Berlin.


def test_case_opened_rule_routes_billing_to_finance() -> None:
    policy = make_policy("""
        - name: billing to finance
          trigger: case.opened
          if: {category: [billing]}
          do:
            - route: {team: finance}
        """)
    outcome = drive(
        policy, [opened("2026-12-01 10:00", category="billing"), opened("2026-12-01 10:05", "C2")]
    )
    assert outcome.summary() == [
        ("2026-12-01 10:00", "billing to finance", "route", "frontline->finance")
    ]


def test_first_response_breach_escalates_at_its_due_instant() -> None:
    policy = make_policy(FR_BREACH)
    outcome = drive(policy, [opened("2026-12-01 15:00")], until="2026-12-03 09:00")
    assert outcome.summary() == [
        ("2026-12-02 11:00", "fr breach", "escalate", "frontline->supervisor")
    ]
    assert outcome.actions[0].metric == "first_response"
    assert outcome.actions[0].trigger == "sla.breach"


def test_first_response_met_in_time_does_not_breach() -> None:
    policy = make_policy(FR_BREACH)
    events = [
        opened("2026-12-01 10:00"),
        ev("agent.message", "2026-12-01 13:59", agent="a1", body="On it"),
    ]
    assert drive(policy, events, until="2026-12-04 17:00").actions == []


def test_internal_note_does_not_meet_first_response() -> None:
    policy = make_policy(FR_BREACH)
    events = [
        opened("2026-12-01 10:00"),
        ev("agent.message", "2026-12-01 11:00", agent="a1", public=False, body="looking"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert outcome.summary() == [
        ("2026-12-01 14:00", "fr breach", "escalate", "frontline->supervisor")
    ]


def test_agent_message_at_the_due_instant_meets_the_clock() -> None:
    policy = make_policy(FR_BREACH)
    events = [opened("2026-12-01 10:00"), ev("agent.message", "2026-12-01 14:00", agent="a1")]
    assert drive(policy, events, until="2026-12-01 17:00").actions == []


def test_warning_fires_at_warn_at_of_the_target() -> None:
    policy = make_policy("""
        - name: resolution at risk
          trigger: sla.warning
          metric: resolution
          do:
            - notify: [assignee, supervisor]
        """)
    # Standard resolution is 24 business hours: 75% is 18 h, i.e. 2 days 2 hours after Tue 10:00.
    outcome = drive(policy, [opened("2026-12-01 10:00")], until="2026-12-10 00:00")
    assert outcome.summary() == [
        ("2026-12-03 12:00", "resolution at risk", "notify", "team:frontline,team:supervisors")
    ]


def test_sla_rule_without_metric_reacts_to_every_clock() -> None:
    policy = make_policy("""
        - name: any breach
          trigger: sla.breach
          do:
            - tag: [breached]
        """)
    outcome = drive(policy, [opened("2026-12-01 10:00")], until="2026-12-10 00:00")
    assert [action.metric for action in outcome.actions] == ["first_response", "resolution"]


def test_customer_message_with_manager_request_escalates_to_supervisor() -> None:
    policy = make_policy("""
        - name: wants a manager
          trigger: customer.message
          if: {intent: manager_request}
          do:
            - escalate: {to: supervisor}
            - notify_customer: escalated
        """)
    events = [
        opened("2026-12-01 10:00"),
        ev("customer.message", "2026-12-01 10:30", body="any news?"),
        ev("customer.message", "2026-12-01 11:00", body="get me a MANAGER now"),
    ]
    outcome = drive(policy, events)
    assert outcome.summary() == [
        ("2026-12-01 11:00", "wants a manager", "escalate", "frontline->supervisor"),
        ("2026-12-01 11:00", "wants a manager", "notify_customer", "escalated"),
    ]


def test_reopened_rule_fires_on_second_reopening_only() -> None:
    policy = make_policy("""
        - name: reopened again
          trigger: case.reopened
          if: {reopened_at_least: 2}
          do:
            - escalate: {to: specialist}
        """)
    events = [
        opened("2026-12-01 10:00"),
        ev("status.changed", "2026-12-01 11:00", status="resolved"),
        ev("customer.message", "2026-12-01 12:00", body="still broken"),
        ev("status.changed", "2026-12-01 13:00", status="resolved"),
        ev("status.changed", "2026-12-01 14:00", status="open"),
    ]
    outcome = drive(policy, events)
    assert outcome.summary() == [
        ("2026-12-01 14:00", "reopened again", "escalate", "frontline->specialist")
    ]
    assert outcome.actions[0].trigger == "case.reopened"


def test_closed_case_is_never_reopened() -> None:
    policy = make_policy("""
        - name: reopened
          trigger: case.reopened
          do:
            - tag: [reopened]
        """)
    events = [
        opened("2026-12-01 10:00"),
        ev("status.changed", "2026-12-01 11:00", status="closed"),
        ev("customer.message", "2026-12-01 12:00", body="hello again"),
        ev("status.changed", "2026-12-01 13:00", status="open"),
    ]
    outcome = drive(policy, events)
    assert outcome.actions == []
    assert [reason for _, reason in outcome.skipped] == ["case C1 is closed and cannot become open"]
    assert outcome.states["C1"].status == "closed"


def test_unacknowledged_escalation_climbs_until_acknowledged() -> None:
    policy = make_policy("""
        - name: wants a manager
          trigger: customer.message
          if: {intent: manager_request}
          do:
            - escalate: {to: supervisor}
        - name: not acknowledged
          trigger: escalation.unacknowledged
          after: 30m
          do:
            - escalate: {up: 1}
        """)
    events = [
        opened("2026-12-01 10:00"),
        ev("customer.message", "2026-12-01 11:00", body="MANAGER please"),
        ev("escalation.acknowledged", "2026-12-01 12:10", agent="s1"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert outcome.summary() == [
        ("2026-12-01 11:00", "wants a manager", "escalate", "frontline->supervisor"),
        ("2026-12-01 11:30", "not acknowledged", "escalate", "supervisor->specialist"),
        ("2026-12-01 12:00", "not acknowledged", "escalate", "specialist->management"),
    ]
    assert outcome.states["C1"].acknowledged_by == "s1"


def test_acknowledged_escalation_does_not_climb() -> None:
    policy = make_policy("""
        - name: not acknowledged
          trigger: escalation.unacknowledged
          after: 30m
          do:
            - escalate: {up: 1}
        """)
    events = [
        opened("2026-12-01 10:00"),
        ev("case.escalated", "2026-12-01 10:10", agent="a1", to="supervisor", reason="refund"),
        ev("escalation.acknowledged", "2026-12-01 10:39", agent="s1"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert outcome.summary() == [
        ("2026-12-01 10:10", "manual", "escalate", "frontline->supervisor")
    ]


def test_unacknowledged_counts_business_time_only() -> None:
    policy = make_policy("""
        - name: not acknowledged
          trigger: escalation.unacknowledged
          after: 30m
          do:
            - notify: [supervisor]
        """)
    events = [
        opened("2026-12-04 16:00"),
        ev("case.escalated", "2026-12-04 16:50", agent="a1", to="supervisor"),
    ]
    outcome = drive(policy, events, until="2026-12-08 00:00")
    assert outcome.summary("notify") == [
        ("2026-12-07 09:20", "not acknowledged", "notify", "team:specialists")
    ]


def test_level_timeout_fires_once_per_entry_into_a_level() -> None:
    policy = make_policy("""
        - name: stuck
          trigger: level.timeout
          after: 8h
          do:
            - escalate: {up: 1}
        """)
    outcome = drive(policy, [opened("2026-12-01 10:00")], until="2026-12-04 12:00")
    assert outcome.summary() == [
        ("2026-12-02 10:00", "stuck", "escalate", "frontline->supervisor"),
        ("2026-12-03 10:00", "stuck", "escalate", "supervisor->specialist"),
        ("2026-12-04 10:00", "stuck", "escalate", "specialist->management"),
    ]


def test_level_timeout_restarts_when_the_level_changes() -> None:
    policy = make_policy("""
        - name: stuck
          trigger: level.timeout
          after: 2h
          if: {level: [supervisor]}
          do:
            - tag: [stuck]
        """)
    events = [
        opened("2026-12-01 09:00"),
        ev("case.escalated", "2026-12-01 10:00", agent="a1", to="supervisor"),
        ev("case.escalated", "2026-12-01 11:00", agent="s1", to="frontline"),
        ev("case.escalated", "2026-12-01 11:30", agent="a1", to="supervisor"),
    ]
    outcome = drive(policy, events, until="2026-12-01 17:00")
    assert outcome.summary("tag") == [("2026-12-01 13:30", "stuck", "tag", "stuck")]


def test_approval_above_authority_escalates_to_the_level_that_can_grant_it() -> None:
    policy = make_policy("""
        - name: refund above authority
          trigger: approval.requested
          if: {above_authority: refund}
          do:
            - escalate: {to_authority: refund}
        """)
    events = [
        opened("2026-12-01 10:00"),
        ev("approval.requested", "2026-12-01 10:10", agent="a1", kind="refund", amount=40),
        ev("approval.requested", "2026-12-01 10:20", agent="a1", kind="refund", amount=300),
        opened("2026-12-01 10:30", "C2"),
        ev("approval.requested", "2026-12-01 10:40", "C2", agent="a1", kind="refund", amount=20000),
        ev("approval.requested", "2026-12-01 10:50", "C2", agent="a1", kind="credit", amount=1),
    ]
    outcome = drive(policy, events)
    assert outcome.summary() == [
        ("2026-12-01 10:20", "refund above authority", "escalate", "frontline->supervisor"),
        ("2026-12-01 10:40", "refund above authority", "escalate", "frontline->management"),
    ]


def test_low_survey_score_notifies_the_supervisor() -> None:
    policy = make_policy("""
        - name: unhappy
          trigger: survey.answered
          if: {score_below: 3}
          do:
            - notify: [supervisor]
        """)
    events = [
        opened("2026-12-01 10:00"),
        opened("2026-12-01 10:01", "C2"),
        ev("status.changed", "2026-12-01 11:00", status="resolved"),
        ev("survey.answered", "2026-12-01 12:00", score=2, comment="slow"),
        ev("survey.answered", "2026-12-01 12:00", "C2", score=4),
    ]
    outcome = drive(policy, events)
    assert outcome.summary() == [("2026-12-01 12:00", "unhappy", "notify", "team:supervisors")]
    assert outcome.report["csat"]["other"] == {"responses": 2, "mean": 3.0}
