"""Unit tests of the business calendar (contract: docs/policy-format.md, "Calendars")."""

from __future__ import annotations

import pickle
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalon import Calendar, CalendarError, files
from tests.support.calendar_reference import ReferenceCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def cal_of(hours: Any, tz: str = "Europe/Berlin", holidays: list[Any] | None = None) -> Calendar:
    return Calendar.from_dict({"timezone": tz, "hours": hours, "holidays": holidays or []})


def problems_of(spec: Any) -> dict[str, str]:
    return dict(Calendar.validate(spec))


# ---------------------------------------------------------------- weekly hours


def test_several_intervals_a_day_skip_the_gap_between_them() -> None:
    cal = cal_of({"mon": ["09:00-12:30", "13:30-17:00"]})
    # 2026-03-02 is a Monday.
    assert cal.add(berlin(2026, 3, 2, 9, 0), 4 * H) == berlin(2026, 3, 2, 14, 0)
    assert cal.between(berlin(2026, 3, 2, 8, 0), berlin(2026, 3, 2, 18, 0)) == 7 * H


def test_a_start_in_a_gap_begins_at_the_next_opening() -> None:
    cal = cal_of({"mon": ["09:00-12:30", "13:30-17:00"]})
    assert cal.add(berlin(2026, 3, 2, 12, 45), 30 * M) == berlin(2026, 3, 2, 14, 0)


def test_a_start_outside_hours_begins_at_the_next_opening() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    # Saturday noon: nothing counts until Monday 09:00.
    assert cal.add(berlin(2026, 3, 7, 12, 0), H) == berlin(2026, 3, 9, 10, 0)


def test_a_deadline_on_a_closing_time_stays_there() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    assert cal.add(berlin(2026, 3, 2, 9, 0), 8 * H) == berlin(2026, 3, 2, 17, 0)
    assert cal.add(berlin(2026, 3, 2, 9, 0), 8 * H + M) == berlin(2026, 3, 3, 9, 1)


def test_adding_zero_returns_the_start_even_outside_hours() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    start = berlin(2026, 3, 7, 12, 0)
    assert cal.add(start, timedelta(0)) == start
    assert cal.add_us(123, 0) == 123


def test_an_overnight_interval_belongs_to_the_day_it_starts() -> None:
    cal = cal_of({"fri": ["22:00-06:00"]})
    # Friday 2026-03-06 22:00 to Saturday 06:00.
    assert cal.between(berlin(2026, 3, 6, 0, 0), berlin(2026, 3, 7, 12, 0)) == 8 * H
    assert cal.add(berlin(2026, 3, 6, 21, 0), 3 * H) == berlin(2026, 3, 7, 1, 0)
    assert cal.is_open(berlin(2026, 3, 7, 5, 59))
    assert not cal.is_open(berlin(2026, 3, 7, 6, 0))


def test_a_sunday_night_interval_runs_into_monday() -> None:
    cal = cal_of({"sun": ["22:00-06:00"], "mon": ["06:00-08:00"]})
    assert cal.between(berlin(2026, 3, 8, 23, 0), berlin(2026, 3, 9, 7, 0)) == 8 * H
    assert cal.add(berlin(2026, 3, 8, 12, 0), 9 * H) == berlin(2026, 3, 9, 7, 0)


def test_an_interval_ending_at_24_00_runs_to_midnight() -> None:
    cal = cal_of({"sat": ["06:00-24:00"]})
    assert cal.add(berlin(2026, 3, 7, 23, 0), H) == berlin(2026, 3, 8, 0, 0)
    assert cal.add(berlin(2026, 3, 7, 23, 0), 2 * H) == berlin(2026, 3, 14, 7, 0)


def test_equal_start_and_end_means_24_hours() -> None:
    assert cal_of({"wed": ["09:00-09:00"]}).weekly_hours == 24 * H
    assert cal_of({"wed": ["00:00-00:00"]}).weekly_hours == 24 * H
    cal = cal_of({"wed": ["09:00-09:00"]})
    assert cal.between(berlin(2026, 3, 4), berlin(2026, 3, 6)) == 24 * H
    assert cal.is_open(berlin(2026, 3, 5, 8, 59))


def test_next_open_returns_the_instant_itself_when_open() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    assert cal.next_open(berlin(2026, 3, 2, 10, 0)) == berlin(2026, 3, 2, 10, 0)
    assert cal.next_open(berlin(2026, 3, 2, 17, 0)) == berlin(2026, 3, 3, 9, 0)
    assert cal.next_open(berlin(2026, 3, 6, 17, 0)) == berlin(2026, 3, 9, 9, 0)


def test_between_is_negative_when_the_end_comes_first() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    assert cal.between(berlin(2026, 3, 3, 9, 0), berlin(2026, 3, 2, 9, 0)) == -8 * H


# ---------------------------------------------------------------- holidays


def test_a_holiday_closes_its_whole_date() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5, holidays=["2026-12-25"])
    # Thursday 24th 16:00: one hour left, Friday 25th is a holiday, then the weekend.
    assert cal.add(berlin(2026, 12, 24, 16, 0), 2 * H) == berlin(2026, 12, 28, 10, 0)
    assert not cal.is_open(berlin(2026, 12, 25, 10, 0))
    assert cal.next_open(berlin(2026, 12, 25, 10, 0)) == berlin(2026, 12, 28, 9, 0)


def test_holidays_may_be_dates_or_strings() -> None:
    as_date = cal_of(WEEKDAYS_9_TO_5, holidays=[date(2026, 12, 25)])
    as_text = cal_of(WEEKDAYS_9_TO_5, holidays=["2026-12-25"])
    assert as_date.holidays == as_text.holidays == frozenset({date(2026, 12, 25)})


def test_a_holiday_cuts_the_part_of_an_overnight_interval_that_falls_on_it() -> None:
    cal = cal_of({"fri": ["22:00-06:00"]}, holidays=["2026-03-07"])
    assert cal.between(berlin(2026, 3, 6, 20, 0), berlin(2026, 3, 7, 12, 0)) == 2 * H
    assert cal.add(berlin(2026, 3, 6, 22, 0), 2 * H) == berlin(2026, 3, 7, 0, 0)


def test_an_interval_starting_on_a_holiday_still_counts_on_the_working_date() -> None:
    cal = cal_of({"fri": ["22:00-06:00"]}, holidays=["2026-03-06"])
    assert cal.between(berlin(2026, 3, 6, 20, 0), berlin(2026, 3, 7, 12, 0)) == 6 * H
    assert cal.next_open(berlin(2026, 3, 6, 21, 0)) == berlin(2026, 3, 7, 0, 0)


def test_always_is_open_at_every_instant() -> None:
    cal = cal_of("always", tz="UTC")
    start = datetime(2026, 3, 7, 3, 17, 5, 12, tzinfo=UTC)
    assert cal.add(start, 1000 * H) == start + 1000 * H
    assert cal.between(start, start + 5 * H) == 5 * H
    assert cal.is_open(start)
    assert cal.next_open(start) == start


def test_always_with_holidays_skips_the_holiday_dates() -> None:
    cal = cal_of("always", holidays=["2026-12-25", "2026-12-26"])
    assert cal.between(berlin(2026, 12, 24), berlin(2026, 12, 28)) == 48 * H
    assert cal.add(berlin(2026, 12, 24, 23, 0), 2 * H) == berlin(2026, 12, 27, 1, 0)
    assert cal.next_open(berlin(2026, 12, 25, 12, 0)) == berlin(2026, 12, 27, 0, 0)


# ---------------------------------------------------------------- clock changes


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23 * H),
        ("Europe/Berlin", date(2026, 10, 25), 25 * H),
        ("America/New_York", date(2026, 3, 8), 23 * H),
        ("America/New_York", date(2026, 11, 1), 25 * H),
    ],
)
def test_a_whole_day_on_a_clock_change_counts_real_time(
    tz: str, day: date, length: timedelta
) -> None:
    zone = ZoneInfo(tz)
    cal = cal_of({"sun": ["00:00-24:00"]}, tz=tz)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    assert cal.between(start, end) == length
    assert cal.add(start, length) == end
    always = cal_of("always", tz=tz, holidays=[day])
    assert always.between(start - H, end + H) == 2 * H


def test_a_skipped_wall_time_is_read_with_the_offset_before_the_change() -> None:
    cal = cal_of({"sun": ["02:30-05:00"]})
    # 02:30 does not exist on 2026-03-29 in Berlin: it reads as 01:30 UTC, i.e. 03:30 CEST.
    opening = cal.next_open(berlin(2026, 3, 29, 0, 0))
    assert opening == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert opening.isoformat() == "2026-03-29T03:30:00+02:00"
    assert cal.between(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 12, 0)) == 90 * M


def test_a_skipped_wall_time_in_new_york() -> None:
    cal = cal_of({"sun": ["02:30-04:00"]}, tz="America/New_York")
    start = datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
    assert cal.next_open(start).isoformat() == "2026-03-08T03:30:00-04:00"
    assert cal.between(start, start + 12 * H) == 30 * M


def test_a_repeated_wall_time_is_its_first_occurrence() -> None:
    cal = cal_of({"sun": ["02:30-03:00"]})
    # 2026-10-25: 02:30 CEST (00:30 UTC) to 03:00 CET (02:00 UTC).
    opening = cal.next_open(berlin(2026, 10, 25, 0, 0))
    # Compare in UTC: Python never finds a repeated wall time equal to another zone's instant.
    assert opening.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert opening.fold == 0
    assert cal.between(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 90 * M


def test_intervals_overlapping_after_a_spring_forward_count_once() -> None:
    cal = cal_of({"sun": ["01:00-02:30", "03:00-05:00"]})
    # [00:00, 01:30) UTC and [01:00, 03:00) UTC overlap in real time: the union is 3 h.
    assert cal.between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 3 * H
    assert cal.add(berlin(2026, 3, 29), 3 * H) == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)


def test_an_interval_inverted_by_a_spring_forward_holds_no_time() -> None:
    cal = cal_of({"sun": ["02:30-03:00"]})
    assert cal.between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == timedelta(0)
    assert cal.between(berlin(2026, 3, 22), berlin(2026, 3, 23)) == 30 * M
    assert not cal.is_open(datetime(2026, 3, 29, 1, 15, tzinfo=UTC))


def test_a_skipped_calendar_day_holds_no_time() -> None:
    apia = ZoneInfo("Pacific/Apia")
    cal = cal_of("always", tz="Pacific/Apia")
    start = datetime(2011, 12, 29, tzinfo=apia)
    # Samoa skipped 2011-12-30 entirely: from the 29th to the 31st is one real day.
    assert cal.between(start, datetime(2011, 12, 31, tzinfo=apia)) == 24 * H
    fri = cal_of({"fri": ["00:00-24:00"]}, tz="Pacific/Apia")
    assert fri.between(start, datetime(2012, 1, 2, tzinfo=apia)) == timedelta(0)


# ---------------------------------------------------------------- arguments and results


def test_results_are_aware_in_the_calendar_zone() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    deadline = cal.add(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), H)
    assert deadline.tzinfo is cal.timezone
    assert deadline == berlin(2026, 3, 2, 10, 0)
    assert cal.next_open(datetime(2026, 3, 2, 5, 0, tzinfo=UTC)).tzinfo is cal.timezone


def test_a_negative_duration_is_refused() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    with pytest.raises(CalendarError, match="negative"):
        cal.add(berlin(2026, 3, 2, 9, 0), -H)
    with pytest.raises(CalendarError, match="negative"):
        cal.add_us(0, -1)


@pytest.mark.parametrize("method", ["add", "between", "is_open", "next_open"])
def test_a_naive_datetime_is_refused_by_name(method: str) -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    naive = datetime(2026, 3, 2, 9, 0)
    aware = berlin(2026, 3, 2, 9, 0)
    calls: dict[str, tuple[Any, ...]] = {
        "add": (naive, H),
        "between": (aware, naive),
        "is_open": (naive,),
        "next_open": (naive,),
    }
    name = {"add": "start", "between": "b", "is_open": "t", "next_open": "t"}[method]
    with pytest.raises(CalendarError, match=rf"^{name} is a naive datetime"):
        getattr(cal, method)(*calls[method])


def test_calendar_errors_are_value_errors() -> None:
    assert issubclass(CalendarError, ValueError)
    with pytest.raises(ValueError, match="timedelta"):
        cal_of(WEEKDAYS_9_TO_5).add(berlin(2026, 3, 2), 5)  # type: ignore[arg-type]


def test_microseconds_survive_the_round_trip() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    start = datetime(2026, 3, 2, 9, 0, 0, 1, tzinfo=BERLIN)
    assert cal.add(start, timedelta(microseconds=7)) == start + timedelta(microseconds=7)
    far = datetime(2300, 3, 1, 9, 0, 0, 999_999, tzinfo=BERLIN)  # beyond the float-exact range
    assert cal.add(far, H).microsecond == 999_999
    rng = random.Random(3)
    for _ in range(2000):
        us = rng.randrange(-(10**16), 10**16)
        assert cal._from_us(us) == EPOCH + timedelta(microseconds=us)


def test_a_repeated_wall_time_result_keeps_its_occurrence() -> None:
    cal = cal_of("always", holidays=["2026-10-24"])
    # The second 02:30 of 2026-10-25 (01:30 UTC), with a microsecond so `replace` is used.
    start = datetime(2026, 10, 25, 1, 0, 0, 0, tzinfo=UTC)
    deadline = cal.add(start, timedelta(minutes=30, microseconds=5))
    assert deadline.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, 0, 5, tzinfo=UTC)
    assert deadline.fold == 1
    on_the_second = cal.add(start, timedelta(minutes=30))  # whole seconds: `fromtimestamp`
    assert on_the_second.fold == 1
    assert on_the_second.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_the_integer_api_counts_microseconds_since_the_epoch() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    start = berlin(2026, 3, 2, 16, 0)
    start_us = (start - EPOCH) // timedelta(microseconds=1)
    deadline_us = cal.add_us(start_us, 2 * 3600 * 10**6)
    assert deadline_us == (berlin(2026, 3, 3, 10, 0) - EPOCH) // timedelta(microseconds=1)
    assert cal.between_us(start_us, deadline_us) == 2 * 3600 * 10**6
    assert cal.is_open_us(start_us)
    assert cal.next_open_us(deadline_us + 7 * 3600 * 10**6) == deadline_us + 23 * 3600 * 10**6


# ---------------------------------------------------------------- long ranges


def test_centuries_are_skipped_exactly() -> None:
    cal = cal_of(WEEKDAYS_9_TO_5)
    # Clock changes happen on Sunday nights, outside these hours: a week is always 40 h.
    start, end = berlin(2000, 1, 3), berlin(2300, 1, 1)  # both Mondays
    weeks, rest = divmod((end.date() - start.date()).days, 7)
    assert rest == 0
    assert cal.between(start, end) == weeks * 40 * H
    assert cal.add(start, weeks * 40 * H) == berlin(2299, 12, 29, 17, 0)  # the Friday before


def test_far_deadlines_agree_with_the_reference() -> None:
    spec = {
        "timezone": "America/New_York",
        "hours": {"mon": ["22:00-06:00"], "wed": ["00:00-24:00"], "sun": ["01:30-02:30"]},
        "holidays": ["2026-03-11", "2027-11-01", "2027-11-03", date(2028, 3, 12)],
    }
    cal, ref = Calendar.from_dict(spec), ReferenceCalendar(spec)
    start = datetime(2026, 2, 27, 13, 7, tzinfo=NEW_YORK)
    for hours in (1, 37, 500, 2000, 4000, 6000):
        assert cal.add(start, hours * H) == ref.add(start, hours * H), hours
    end = datetime(2028, 11, 9, 5, 0, tzinfo=UTC)
    assert cal.between(start, end) == ref.between(start, end)


def test_instants_seen_in_any_order_give_consistent_sums() -> None:
    spec = {"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5, "holidays": ["2027-05-01"]}
    points = [berlin(2040, 1, 1), berlin(2027, 6, 1), berlin(1990, 5, 5), berlin(2026, 1, 1)]
    cal = Calendar.from_dict(spec)
    # Each query may extend the cached sums backwards or forwards.
    for a in points:
        for b in points:
            assert cal.between(a, b) == -cal.between(b, a)
    total = cal.between(points[2], points[0])
    fresh = Calendar.from_dict(spec)
    assert fresh.between(points[2], points[3]) + fresh.between(points[3], points[0]) == total


def test_a_chunk_boundary_seen_from_the_later_side_first() -> None:
    cal = cal_of({"mon": ["00:00-01:00"]}, tz="Australia/Lord_Howe")
    a = datetime(2022, 10, 2, 0, 0, tzinfo=UTC)
    b = datetime(2022, 10, 2, 13, 0, tzinfo=UTC)  # Monday 00:00 local, the start of a chunk
    assert cal.between(a, b) == timedelta(0)
    assert cal.between(a, b + 2 * H) == H


def test_a_calendar_without_hours_does_not_hang() -> None:
    cal = cal_of({}, holidays=["2026-01-01"])
    assert cal.weekly_hours == timedelta(0)
    assert cal.between(berlin(2026, 1, 1), berlin(2030, 1, 1)) == timedelta(0)
    assert not cal.is_open(berlin(2026, 1, 1))
    with pytest.raises(CalendarError, match="no business hours"):
        cal.add(berlin(2026, 1, 1), M)
    with pytest.raises(CalendarError, match="no business hours"):
        cal.next_open(berlin(2026, 1, 1))


def test_a_deadline_beyond_year_9999_is_an_error() -> None:
    with pytest.raises(CalendarError, match="9999"):
        cal_of(WEEKDAYS_9_TO_5).add(berlin(2026, 1, 1), timedelta(days=3_000_000))


# ---------------------------------------------------------------- validation


def test_a_valid_calendar_has_no_problems() -> None:
    spec = {"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5, "holidays": ["2026-12-25"]}
    assert Calendar.validate(spec) == []
    assert Calendar.validate({"timezone": "UTC", "hours": "always"}) == []


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", 5, "../etc/passwd"])
def test_an_unknown_time_zone_is_reported(tz: Any) -> None:
    assert "timezone" in problems_of({"timezone": tz, "hours": "always"})


def test_missing_fields_and_unknown_fields_are_reported() -> None:
    problems = problems_of({"tz": "UTC"})
    assert set(problems) == {"tz", "timezone", "hours"}
    assert problems_of(["not", "a", "mapping"]) == {"": "a calendar must be a mapping, not list"}


@pytest.mark.parametrize(
    "hours", ["sometimes", ["09:00-17:00"], {"monday": ["09:00-17:00"]}, {"Mon": []}]
)
def test_bad_hours_are_reported(hours: Any) -> None:
    problems = problems_of({"timezone": "UTC", "hours": hours})
    assert len(problems) == 1
    assert next(iter(problems)).startswith("hours")


@pytest.mark.parametrize(
    "interval",
    ["25:00-26:00", "9:00-17:00", "09:60-10:00", "24:00-01:00", "09:00-24:30", "09:00", 900],
)
def test_a_bad_interval_is_reported_with_its_index(interval: Any) -> None:
    problems = problems_of({"timezone": "UTC", "hours": {"mon": ["06:00-07:00", interval]}})
    assert list(problems) == ["hours.mon[1]"]
    assert "is not HH:MM-HH:MM" in problems["hours.mon[1]"]


def test_a_day_that_is_not_a_list_is_reported() -> None:
    problems = problems_of({"timezone": "UTC", "hours": {"tue": "09:00-17:00"}})
    assert list(problems) == ["hours.tue"]


@pytest.mark.parametrize(
    ("hours", "path"),
    [
        ({"mon": ["09:00-12:00", "11:00-13:00"]}, "hours.mon[1]"),
        ({"mon": ["09:00-12:00", "09:00-12:00"]}, "hours.mon[1]"),
        ({"mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}, "hours.tue[0]"),
        ({"mon": ["09:00-09:00"], "tue": ["08:00-08:30"]}, "hours.tue[0]"),
        ({"mon": ["05:00-07:00"], "sun": ["23:00-05:30"]}, "hours.sun[0]"),
    ],
)
def test_overlapping_intervals_are_reported(hours: dict[str, list[str]], path: str) -> None:
    problems = problems_of({"timezone": "UTC", "hours": hours})
    assert list(problems) == [path]
    assert "overlaps" in problems[path]


def test_touching_intervals_do_not_overlap() -> None:
    hours = {"mon": ["22:00-06:00"], "tue": ["06:00-12:00", "12:00-24:00"], "wed": ["00:00-01:00"]}
    assert Calendar.validate({"timezone": "UTC", "hours": hours}) == []


@pytest.mark.parametrize(
    "holiday", ["2026-02-30", "tomorrow", "20261225", 20261225, datetime(2026, 12, 25, 10, 0)]
)
def test_a_bad_holiday_is_reported_with_its_index(holiday: Any) -> None:
    spec = {"timezone": "UTC", "hours": "always", "holidays": ["2026-12-24", holiday]}
    problems = problems_of(spec)
    assert list(problems) == ["holidays[1]"]
    assert "is not a date" in problems["holidays[1]"]


def test_every_problem_is_collected_and_from_dict_names_them() -> None:
    spec = {
        "timezone": "Nowhere/City",
        "hours": {"mon": ["09:00-17:00", "25:00-26:00"], "fun": []},
        "holidays": ["2026-13-01"],
    }
    assert [path for path, _ in Calendar.validate(spec)] == [
        "timezone",
        "hours.mon[1]",
        "hours.fun",
        "holidays[0]",
    ]
    with pytest.raises(CalendarError) as caught:
        Calendar.from_dict(spec, name="office")
    message = str(caught.value)
    assert message.startswith("calendar office: timezone:")
    assert 'hours.mon[1]: "25:00-26:00" is not HH:MM-HH:MM' in message
    assert len(caught.value.problems) == 4


# ---------------------------------------------------------------- files


def test_from_yaml_reads_one_calendar(tmp_path: Path) -> None:
    path = tmp_path / "office.yaml"
    path.write_text(
        "timezone: Europe/Berlin\n"
        "hours:\n  mon: [09:00-12:30, 13:30-17:00]\n"
        "holidays: [2026-03-02]\n",  # unquoted: YAML gives a date object
        encoding="utf-8",
    )
    cal = files.load_calendar(path)
    assert cal.name == "office"
    assert cal.timezone == BERLIN
    assert cal.holidays == frozenset({date(2026, 3, 2)})
    assert cal.add(berlin(2026, 3, 2, 9, 0), H) == berlin(2026, 3, 9, 10, 0)


def test_from_yaml_picks_a_named_calendar_of_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "name: x\ncalendars:\n"
        "  office: {timezone: Europe/Berlin, hours: {mon: ['09:00-17:00']}}\n"
        "  always: {timezone: UTC, hours: always}\n",
        encoding="utf-8",
    )
    assert files.load_calendar(path, name="always").always
    assert files.load_calendar(path, name="office").name == "office"
    with pytest.raises(CalendarError, match="several calendars"):
        files.load_calendar(path)
    with pytest.raises(CalendarError, match="no calendar named 'night'"):
        files.load_calendar(path, name="night")


def test_from_yaml_reports_file_problems(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        files.load_calendar(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("timezone: [unclosed\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="not valid YAML"):
        files.load_calendar(broken)
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: UTC\nhours: {mon: ['09:00-08:00', '07:00-10:00']}\n")
    with pytest.raises(CalendarError, match=r"bad.yaml: hours.mon\[1\]: .* overlaps"):
        files.load_calendar(bad)


# ---------------------------------------------------------------- sharing


def test_a_calendar_survives_pickling() -> None:
    cal = Calendar.from_dict(
        {"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5, "holidays": ["2026-12-25"]},
        name="office",
    )
    cal.add(berlin(2026, 12, 24, 16, 0), 2 * H)  # warm the caches; they are not pickled
    copy = pickle.loads(pickle.dumps(cal))
    assert (copy.name, copy.timezone, copy.holidays) == ("office", BERLIN, cal.holidays)
    assert copy.add(berlin(2026, 12, 24, 16, 0), 2 * H) == berlin(2026, 12, 28, 10, 0)
    assert pickle.loads(pickle.dumps(cal_of("always", tz="UTC"))).always


def test_threads_sharing_a_calendar_get_the_same_answers() -> None:
    spec = {"timezone": "America/New_York", "hours": WEEKDAYS_9_TO_5, "holidays": ["2031-07-04"]}
    rng = random.Random(5)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    jobs = [
        (base + timedelta(minutes=rng.randrange(20 * 525_600)), rng.randrange(1, 2000) * H)
        for _ in range(400)
    ]
    alone = Calendar.from_dict(spec)
    expected = [alone.add(s, d) for s, d in jobs]
    shared = Calendar.from_dict(spec)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda job: shared.add(*job), jobs))
    assert got == expected


def test_an_open_interval_across_the_calendars_internal_chunks_comes_out_whole() -> None:
    from escalon.core import calendar as calendar_module

    # Open at every instant but one holiday, so the calendar is not trivially "always open".
    cal = Calendar.from_dict({"timezone": "UTC", "hours": "always", "holidays": ["2001-01-01"]})
    boundary = cal._base + 50 * calendar_module._CHUNK_US
    hour = 3_600_000_000
    found = cal.intervals_us(boundary - hour, boundary + hour)
    assert found == [(boundary - hour, boundary + hour)]
