"""SLAs that follow the customer: a case's clocks on its organisation's calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalon.core import engine
from escalon.core.codec import state_from_json, state_to_json
from escalon.core.events import parse_event
from escalon.core.policy import PolicyInvalid, parse_policy
from escalon.core.sla import calendar_of, clock_views, first_due_clock
from escalon.core.state import to_us
from tests.builders.engine import FR_BREACH, POLICY_HEAD, make_policy, opened, us

TOKYO = ZoneInfo("Asia/Tokyo")
# A Tokyo organisation: Japanese office hours, Coming of Age Day 2027 (Monday 11 January) off.
TOKYO_CALENDAR = {
    "timezone": "Asia/Tokyo",
    "hours": {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2027-01-01", "2027-01-11"],
}
FOLLOWING = """\
slas:
  - name: standard
    calendar: {customer: true, fallback: office}
    targets: {first_response: 4h, resolution: 24h}
"""
NAMED = """\
slas:
  - name: standard
    calendar: office
    targets: {first_response: 4h, resolution: 24h}
"""


def tokyo(text: str) -> int:
    """'2027-01-12 13:00' (Tokyo wall time) as engine microseconds."""
    return to_us(datetime.fromisoformat(text).replace(tzinfo=TOKYO))


def _first_response_due(slas: str, **fields: Any) -> int | None:
    policy = make_policy(slas=slas)
    decision = engine.apply_event(None, policy, parse_event(opened("2027-01-11 09:00", **fields)))
    due, _warning, metric = first_due_clock(policy, decision.state)
    assert metric == "first_response"
    return due


def test_a_tokyo_holiday_moves_the_due_instant_off_the_european_working_day() -> None:
    # Monday 09:00 in Berlin is 17:00 on a Japanese holiday: the clock starts Tuesday 09:00 JST.
    assert _first_response_due(FOLLOWING, calendar=TOKYO_CALENDAR) == tokyo("2027-01-12 13:00")


def test_a_case_without_an_organisation_calendar_runs_on_the_fallback() -> None:
    assert _first_response_due(FOLLOWING) == us("2027-01-11 13:00")


def test_an_sla_naming_its_calendar_ignores_the_customers() -> None:
    assert _first_response_due(NAMED, calendar=TOKYO_CALENDAR) == us("2027-01-11 13:00")


def test_a_breach_fires_at_the_customer_calendars_due_instant_written_in_its_zone() -> None:
    policy = make_policy(FR_BREACH, slas=FOLLOWING)
    state = engine.apply_event(
        None, policy, parse_event(opened("2027-01-11 09:00", calendar=TOKYO_CALENDAR))
    ).state
    decision = engine.evaluate(state, policy, tokyo("2027-01-12 14:00"))
    breach = [action for action in decision.actions if action.action == "escalate"]
    assert [action.at for action in breach] == [tokyo("2027-01-12 13:00")]
    assert breach[0].record()["at"] == "2027-01-12T13:00:00+09:00"


def test_every_clock_is_measured_on_the_customer_calendar() -> None:
    policy = make_policy(slas=FOLLOWING)
    state = engine.apply_event(
        None, policy, parse_event(opened("2027-01-11 09:00", calendar=TOKYO_CALENDAR))
    ).state
    assert calendar_of(policy, state).timezone == TOKYO
    views = {view.metric: view for view in clock_views(policy, state, tokyo("2027-01-12 10:00"))}
    assert views["first_response"].due_at == tokyo("2027-01-12 13:00")
    # 24 business hours of nine-hour days from Tuesday 09:00: Thursday 15:00.
    assert views["resolution"].due_at == tokyo("2027-01-14 15:00")
    assert views["first_response"].counted == 3_600_000_000


def test_an_unsound_customer_calendar_is_refused_naming_the_field() -> None:
    policy = make_policy(slas=FOLLOWING)
    bad = {"timezone": "Asia/Nowhere", "hours": "always"}
    with pytest.raises(engine.EventRejected, match=r"calendar: .*Asia/Nowhere"):
        engine.apply_event(None, policy, parse_event(opened("2027-01-11 09:00", calendar=bad)))


def test_a_state_keeps_its_customer_calendar_through_the_codec() -> None:
    policy = make_policy(slas=FOLLOWING)
    state = engine.apply_event(
        None, policy, parse_event(opened("2027-01-11 09:00", calendar=TOKYO_CALENDAR))
    ).state
    read = state_from_json(state_to_json(state))
    assert read.customer_calendar == state.customer_calendar
    assert first_due_clock(policy, read)[0] == tokyo("2027-01-12 13:00")


def test_a_state_stored_before_customer_calendars_reads_as_the_fallbacks() -> None:
    policy = make_policy(slas=FOLLOWING)
    state = engine.apply_event(None, policy, parse_event(opened("2027-01-11 09:00"))).state
    text = state_to_json(state).replace('"customer_calendar":null,', "")
    assert "customer_calendar" not in text
    read = state_from_json(text)
    assert read.customer_calendar is None
    assert first_due_clock(policy, read)[0] == us("2027-01-11 13:00")


def test_a_fallback_naming_no_calendar_is_an_error_at_its_field() -> None:
    text = POLICY_HEAD + FOLLOWING.replace("fallback: office", "fallback: offise")
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(text, "p.yaml")
    assert "slas[0].calendar.fallback" in str(caught.value)
    assert "office" in str(caught.value)


def test_a_policy_naming_its_calendars_keeps_its_fingerprint_shape() -> None:
    # The extension adds a form; the named form is dumped as before (a plain name).
    document = make_policy(slas=NAMED).document
    assert document.model_dump(mode="json")["slas"][0]["calendar"] == "office"
