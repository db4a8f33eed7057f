"""When the weekly review mail falls due: the chosen weekday and hour in a zone, at the first
such instant after the reviewed week has ended in UTC; worked instants, DST nights included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from escalon.config import Settings
from escalon.core.state import from_us, to_us
from escalon.learning.review import Week, last_full_week, parse_week
from escalon.learning.review_mail import Schedule


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return to_us(datetime(year, month, day, hour, minute, tzinfo=UTC))


def schedule(day: int = 0, hour: int = 8, zone: str = "UTC") -> Schedule:
    return Schedule(day, hour, ZoneInfo(zone))


def test_monday_eight_in_utc_sends_the_week_just_ended() -> None:
    week = parse_week("2026-W49")  # Monday 30 November to Sunday 6 December 2026
    plan = schedule()
    assert plan.due_at(week) == utc(2026, 12, 7, 8)
    assert plan.due_week(utc(2026, 12, 7, 7, 59)) == parse_week("2026-W48")
    assert plan.due_week(utc(2026, 12, 7, 8)) == week
    # It stays the due week until the next one falls due, a week later.
    assert plan.due_week(utc(2026, 12, 14, 7, 59)) == week
    assert plan.next_at(utc(2026, 12, 7, 8)) == utc(2026, 12, 14, 8)


def test_the_hour_is_the_zones_in_winter_and_in_summer() -> None:
    plan = schedule(zone="Europe/Berlin")
    assert plan.due_at(parse_week("2026-W12")) == utc(2026, 3, 23, 7)  # 08:00 CET
    # Summer time began on Sunday 29 March: the next Monday's 08:00 is 06:00 UTC.
    assert plan.due_at(parse_week("2026-W13")) == utc(2026, 3, 30, 6)
    assert plan.due_at(parse_week("2026-W44")) == utc(2026, 11, 2, 7)  # winter again


def test_an_hour_the_clocks_skip_goes_out_once_at_the_same_wall_time_before_the_change() -> None:
    # Sunday 29 March 2026, 02:00 in Berlin does not exist (02:00 CET became 03:00 CEST).
    plan = schedule(day=6, hour=2, zone="Europe/Berlin")
    week = parse_week("2026-W12")  # ends Monday 23 March; its Sunday after is the 29th
    assert plan.due_at(week) == utc(2026, 3, 29, 1)  # 02:00 CET, which is 03:00 CEST
    assert plan.due_week(utc(2026, 3, 29, 0, 59)) == week.before()
    assert plan.due_week(utc(2026, 3, 29, 1)) == week


def test_an_hour_the_clocks_repeat_goes_out_at_its_first_passing() -> None:
    # Sunday 25 October 2026, 02:00 in Berlin happens at 00:00 UTC (CEST) and 01:00 UTC (CET).
    plan = schedule(day=6, hour=2, zone="Europe/Berlin")
    week = parse_week("2026-W42")
    assert plan.due_at(week) == utc(2026, 10, 25, 0)
    # The second 02:00 is not a second due instant: the same week stays due.
    assert plan.due_week(utc(2026, 10, 25, 1, 30)) == week
    assert plan.next_at(utc(2026, 10, 25, 1, 30)) == utc(2026, 11, 1, 1)


def test_a_morning_before_the_utc_week_ends_waits_for_the_next_one() -> None:
    # Monday 08:00 in Tokyo is Sunday 23:00 UTC: the week is not over, its figures incomplete.
    plan = schedule(zone="Asia/Tokyo")
    assert plan.due_at(parse_week("2026-W49")) == utc(2026, 12, 13, 23)
    # Noon in Tokyo (03:00 UTC Monday) comes after the week's end: the same Monday.
    assert schedule(hour=12, zone="Asia/Tokyo").due_at(parse_week("2026-W49")) == utc(
        2026, 12, 7, 3
    )


def test_the_settings_name_the_schedule_and_refuse_an_unknown_zone() -> None:
    found = Schedule.from_settings(
        Settings(review_mail_day="friday", review_mail_hour=17, review_mail_timezone="Asia/Tokyo")
    )
    assert found == schedule(4, 17, "Asia/Tokyo")
    assert found.words == "Fridays at 17:00 (Asia/Tokyo)"
    assert Settings().review_mail is False
    assert Schedule.from_settings(Settings()).words == "Mondays at 08:00 (UTC)"
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        Settings(review_mail_timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings(review_mail_hour=24)


ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Kolkata")


@given(
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    day=st.integers(0, 6),
    hour=st.integers(0, 23),
    zone=st.sampled_from(ZONES),
)
def test_exactly_one_week_is_due_at_any_instant_and_only_after_it_ended(
    now: datetime, day: int, hour: int, zone: str
) -> None:
    plan = schedule(day, hour, zone)
    instant = to_us(now)
    week = plan.due_week(instant)
    assert week.until <= plan.due_at(week) <= instant < plan.next_at(instant)
    assert week in (last_full_week(instant), last_full_week(instant).before())
    local = from_us(plan.due_at(week)).astimezone(ZoneInfo(zone))
    assert local.weekday() == day
    # The hour itself, or the hour after it on a night the clocks skip it.
    assert (local - timedelta(hours=hour)).hour in (0, 1)
    assert Week(*week.monday.isocalendar()[:2]) == week
