"""Each condition of a rule's `if` holds exactly when the format says."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders.engine import FakeAnalyzer, drive, ev, make_policy, opened


def tagged(condition: str, events: list[dict[str, Any]], trigger: str = "customer.message") -> bool:
    policy = make_policy(f"""
        - name: probe
          trigger: {trigger}
          if: {condition}
          do:
            - tag: [hit]
        """)
    return bool(drive(policy, events).of("tag"))


def message(body: str = "hello", when: str = "2026-12-01 11:00") -> dict[str, Any]:
    return ev("customer.message", when, body=body)


@pytest.mark.parametrize(
    ("condition", "opening", "expected"),
    [
        ("{priority: [P1, P2]}", {"priority": "P2"}, True),
        ("{priority: P1}", {"priority": "P2"}, False),
        ("{tier: [enterprise]}", {"tier": "enterprise"}, True),
        ("{tier: [enterprise]}", {"tier": None}, False),
        ("{category: [billing, refund]}", {"category": "refund"}, True),
        ("{category: [billing]}", {"category": "technical"}, False),
        ("{channel: [social]}", {"channel": "social"}, True),
        ("{channel: [social]}", {"channel": "chat"}, False),
        ("{team: [finance]}", {"team": "finance"}, True),
        ("{team: [finance]}", {}, False),
    ],
)
def test_case_field_conditions(condition: str, opening: dict[str, Any], expected: bool) -> None:
    events = [opened("2026-12-01 10:00", **opening), message()]
    assert tagged(condition, events) is expected


def test_message_channel_does_not_change_the_case_channel() -> None:
    events = [
        opened("2026-12-01 10:00", channel="email"),
        ev("customer.message", "2026-12-01 11:00", channel="social"),
    ]
    assert tagged("{channel: [social]}", events) is False


def test_level_condition_reads_the_current_level() -> None:
    events = [
        opened("2026-12-01 10:00"),
        message(when="2026-12-01 10:30"),
        ev("case.escalated", "2026-12-01 10:40", agent="a", to="supervisor"),
        message(when="2026-12-01 11:00"),
    ]
    policy = make_policy("""
        - name: probe
          trigger: customer.message
          if: {level: supervisor}
          do:
            - tag: [hit]
        """)
    assert [row[0] for row in drive(policy, events).summary("tag")] == ["2026-12-01 11:00"]


@pytest.mark.parametrize(
    ("condition", "body", "expected"),
    [
        ("{intent: manager_request}", "put me through to a MANAGER", True),
        ("{intent: manager_request}", "thanks", False),
        ("{intent: [complaint, manager_request]}", "COMPLAINT here", True),
        ("{sentiment_below: -0.5}", "awful mood=-0.8", True),
        ("{sentiment_below: -0.5}", "meh mood=-0.5", False),
        ("{contains: [refund, chargeback]}", "I want a REFUND", True),
        ("{contains: [refund]}", "I want my money", False),
        ("{language: [de, fr]}", "MANAGER lang=de", True),
        ("{language: de, intent: manager_request}", "MANAGER lang=fr", False),
        ("{language: [en]}", "no language marker reads as English", True),
    ],
)
def test_text_conditions_read_the_customer_message(
    condition: str, body: str, expected: bool
) -> None:
    events = [opened("2026-12-01 10:00"), message(body)]
    assert tagged(condition, events) is expected


def test_text_conditions_read_subject_and_body_on_opening() -> None:
    events = [opened("2026-12-01 10:00", subject="Chargeback coming", body="mood=-0.9")]
    assert tagged("{contains: [chargeback]}", events, trigger="case.opened") is True
    assert tagged("{sentiment_below: -0.5}", events, trigger="case.opened") is True


def test_text_conditions_never_hold_without_text() -> None:
    events = [
        opened("2026-12-01 10:00", body="MANAGER mood=-1"),
        ev("status.changed", "2026-12-01 11:00", status="resolved"),
        ev("status.changed", "2026-12-01 12:00", status="open"),
    ]
    assert tagged("{intent: manager_request}", events, trigger="case.reopened") is False
    assert tagged("{contains: [MANAGER]}", events, trigger="case.reopened") is False


def test_detector_runs_only_when_a_text_condition_asks() -> None:
    analyzer = FakeAnalyzer()
    policy = make_policy("""
        - name: cheap first
          trigger: customer.message
          if: {channel: [social], intent: manager_request}
          do:
            - tag: [hit]
        """)
    drive(policy, [opened("2026-12-01 10:00"), message("MANAGER")], analyzer=analyzer)
    assert analyzer.calls == 0


def test_reopened_at_least_counts_this_reopening() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("status.changed", "2026-12-01 11:00", status="resolved"),
        message("back again", when="2026-12-01 12:00"),
    ]
    assert tagged("{reopened_at_least: 1}", events) is True
    assert tagged("{reopened_at_least: 2}", events) is False


@pytest.mark.parametrize(("amount", "expected"), [(50, False), (50.01, True)])
def test_above_authority_is_strictly_above(amount: float, expected: bool) -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("approval.requested", "2026-12-01 11:00", agent="a", kind="refund", amount=amount),
    ]
    assert tagged("{above_authority: refund}", events, trigger="approval.requested") is expected


def test_above_authority_reads_the_current_level() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("case.escalated", "2026-12-01 10:30", agent="a", to="supervisor"),
        ev("approval.requested", "2026-12-01 11:00", agent="s", kind="refund", amount=300),
    ]
    assert tagged("{above_authority: refund}", events, trigger="approval.requested") is False


def test_above_authority_of_a_kind_no_level_lists_is_any_amount() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("approval.requested", "2026-12-01 11:00", agent="a", kind="credit", amount=1),
    ]
    assert tagged("{above_authority: credit}", events, trigger="approval.requested") is True
    assert tagged("{above_authority: refund}", events, trigger="approval.requested") is False


@pytest.mark.parametrize(("score", "expected"), [(2, True), (3, False)])
def test_score_below(score: int, expected: bool) -> None:
    events = [opened("2026-12-01 10:00"), ev("survey.answered", "2026-12-01 11:00", score=score)]
    assert tagged("{score_below: 3}", events, trigger="survey.answered") is expected


def test_all_conditions_must_hold() -> None:
    events = [opened("2026-12-01 10:00", channel="social"), message("MANAGER mood=0.5")]
    assert tagged("{channel: social, intent: manager_request, sentiment_below: 0}", events) is False
    assert (
        tagged("{channel: social, intent: manager_request, sentiment_below: 0.9}", events) is True
    )
