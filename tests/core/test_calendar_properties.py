"""Property tests: the fast calendar against its own laws and against a slow reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalon import Calendar, CalendarError
from escalon.core.state import to_us
from tests.support.calendar_reference import ReferenceCalendar

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MIN = 7 * 1440
# Zones with ordinary DST, half-hour DST, DST at midnight, a skipped day, and none at all.
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "Asia/Kolkata",
    "UTC",
)
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def transition_days(zone: str) -> tuple[date, ...]:
    """Local dates (2010-2028) whose midnight UTC offset differs from the next midnight's."""
    tz = ZoneInfo(zone)
    days = []
    day = date(2010, 1, 1)
    previous = datetime.combine(day, datetime.min.time(), tzinfo=tz).utcoffset()
    while day < date(2028, 1, 1):
        day += timedelta(days=1)
        offset = datetime.combine(day, datetime.min.time(), tzinfo=tz).utcoffset()
        if offset != previous:
            days.append(day - timedelta(days=1))
        previous = offset
    return tuple(days) or (date(2026, 3, 29),)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[str, list[str]]:
    """Non-overlapping intervals on the weekly circle, overnight and Sunday-to-Monday included."""
    grid = draw(st.sampled_from([60, 30, 15, 1]))
    count = draw(st.integers(1, 5))
    slots = draw(
        st.lists(
            st.integers(0, WEEK_MIN // grid - 1),
            min_size=2 * count,
            max_size=2 * count,
            unique=True,
        )
    )
    points = sorted(s * grid for s in slots)
    rotation = draw(st.integers(0, WEEK_MIN - 1))
    hours: dict[str, list[str]] = {}
    for i in range(count):
        start, end = points[2 * i], points[2 * i + 1]
        length = min(end - start, 1440)
        at = (start + rotation) % WEEK_MIN
        weekday, begin = divmod(at, 1440)
        finish = begin + length
        if finish < 1440:
            end_text = hhmm(finish)
        elif finish == 1440:
            end_text = draw(st.sampled_from(["24:00", "00:00"]))
        else:
            end_text = hhmm(finish - 1440)
        hours.setdefault(DAYS[weekday], []).append(f"{hhmm(begin)}-{end_text}")
    return hours


@st.composite
def calendars(draw: st.DrawFn) -> tuple[dict[str, Any], date]:
    """A calendar dict and a local date near which its interesting things happen."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(transition_days(zone)))
    hours: Any = "always" if draw(st.integers(0, 7)) == 0 else draw(weekly_hours())
    holiday_offsets = draw(st.lists(st.integers(-8, 20), max_size=5, unique=True))
    holidays: list[Any] = []
    for offset in holiday_offsets:
        day = anchor + timedelta(days=offset)
        holidays.append(day if draw(st.booleans()) else day.isoformat())
    return {"timezone": zone, "hours": hours, "holidays": holidays}, anchor


def instants(anchor: date, zone: str) -> st.SearchStrategy[datetime]:
    """Minute-granular instants within about ten days of the anchor, in assorted zones."""
    base = datetime.combine(anchor, datetime.min.time(), tzinfo=UTC)
    return st.builds(
        lambda minutes, shown: (base + timedelta(minutes=minutes)).astimezone(shown),
        st.integers(-12 * 1440, 12 * 1440),
        st.sampled_from([UTC, ZoneInfo(zone), ZoneInfo("Asia/Tokyo")]),
    )


def utc(t: datetime) -> datetime:
    """The instant in UTC: same-zone comparison ignores `fold`, inter-zone refuses folds."""
    return t.astimezone(UTC)


def weekly_minutes(cal: Calendar) -> int:
    return cal.weekly_hours // timedelta(minutes=1)


@SETTINGS
@given(st.data())
def test_add_then_between_gives_back_the_duration(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    start = data.draw(instants(anchor, spec["timezone"]))
    micros = data.draw(st.integers(1, 3 * weekly_minutes(cal) * 60_000_000))
    duration = timedelta(microseconds=micros)
    deadline = cal.add(start, duration)
    assert cal.between(start, deadline) == duration
    assert deadline.tzinfo is cal.timezone
    # Earliest: a microsecond before the deadline is not enough.
    assert cal.between(start, utc(deadline) - timedelta(microseconds=1)) < duration


@SETTINGS
@given(st.data())
def test_add_agrees_with_the_reference(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    ref = ReferenceCalendar(spec)
    start = data.draw(instants(anchor, spec["timezone"]))
    minutes = data.draw(st.integers(0, 2 * weekly_minutes(cal)))
    duration = timedelta(minutes=minutes)
    assert utc(cal.add(start, duration)) == utc(ref.add(start, duration))


@SETTINGS
@given(st.data())
def test_between_agrees_with_the_reference(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    ref = ReferenceCalendar(spec)
    a = data.draw(instants(anchor, spec["timezone"]))
    b = data.draw(instants(anchor, spec["timezone"]))
    assert cal.between(a, b) == ref.between(a, b)
    assert cal.between(b, a) == -cal.between(a, b)


@SETTINGS
@given(st.data())
def test_is_open_and_next_open_agree_with_the_reference(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    ref = ReferenceCalendar(spec)
    t = data.draw(instants(anchor, spec["timezone"]))
    assert cal.is_open(t) == ref.is_open(t)
    assert utc(cal.next_open(t)) == utc(ref.next_open(t))


@SETTINGS
@given(st.data())
def test_add_is_monotonic_in_start_and_duration(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    both = data.draw(st.lists(instants(anchor, spec["timezone"]), min_size=2, max_size=2))
    s1, s2 = sorted(both, key=utc)
    top = 2 * weekly_minutes(cal)
    d1, d2 = sorted(data.draw(st.lists(st.integers(0, top), min_size=2, max_size=2)))
    one, two = timedelta(minutes=d1), timedelta(minutes=d2)
    assert utc(cal.add(s1, one)) <= utc(cal.add(s2, one))
    assert utc(cal.add(s1, one)) <= utc(cal.add(s1, two))


@SETTINGS
@given(st.data())
def test_between_is_monotonic_in_both_ends(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    four = data.draw(st.lists(instants(anchor, spec["timezone"]), min_size=4, max_size=4))
    a1, a2, b1, b2 = sorted(four, key=utc)
    assert cal.between(a1, b2) >= cal.between(a2, b2)
    assert cal.between(a1, b1) <= cal.between(a1, b2)
    assert cal.between(a1, b2) == cal.between(a1, a2) + cal.between(a2, b2)


@SETTINGS
@given(st.data())
def test_add_is_additive(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    start = data.draw(instants(anchor, spec["timezone"]))
    top = 2 * weekly_minutes(cal) * 60
    a = timedelta(seconds=data.draw(st.integers(1, top)))
    b = timedelta(seconds=data.draw(st.integers(1, top)))
    assert utc(cal.add(cal.add(start, a), b)) == utc(cal.add(start, a + b))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_far_apart_instants_agree_with_the_reference(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    ref = ReferenceCalendar(spec)
    base = datetime.combine(anchor, datetime.min.time(), tzinfo=UTC)
    a, b = (
        base + timedelta(minutes=data.draw(st.integers(-800 * 1440, 800 * 1440))) for _ in range(2)
    )
    # Asking in either order makes the cached sums grow forwards or backwards.
    assert cal.between(b, a) == ref.between(b, a)
    assert cal.between(a, b) == ref.between(a, b)
    if cal.weekly_hours:
        duration = timedelta(minutes=data.draw(st.integers(1, 40 * weekly_minutes(cal))))
        assert utc(cal.add(a, duration)) == utc(ref.add(a, duration))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_long_durations_agree_with_chained_short_ones(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    start = data.draw(instants(anchor, spec["timezone"]))
    steps = [timedelta(hours=data.draw(st.integers(1, 5000))) for _ in range(3)]
    chained = start
    for step in steps:
        chained = cal.add(chained, step)
    assert utc(cal.add(start, sum(steps, timedelta(0)))) == utc(chained)
    assert cal.between(start, chained) == sum(steps, timedelta(0))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_integer_api_matches_the_datetime_api(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    start = data.draw(instants(anchor, spec["timezone"]))
    micros = data.draw(st.integers(0, weekly_minutes(cal) * 60_000_000))
    start_us = (start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    deadline = cal.add(start, timedelta(microseconds=micros))
    expected = (deadline - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert cal.add_us(start_us, micros) == expected
    assert cal.between_us(start_us, expected) == micros


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_a_calendar_without_hours_never_hangs(data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    cal = Calendar.from_dict({"timezone": zone, "hours": {}, "holidays": ["2026-01-01"]})
    start = data.draw(instants(date(2026, 1, 1), zone))
    assert cal.between(start, start + timedelta(days=800)) == timedelta(0)
    with pytest.raises(CalendarError, match="no business hours"):
        cal.add(start, timedelta(minutes=1))


@SETTINGS
@given(st.data())
def test_intervals_are_exactly_the_open_time_of_a_range(data: st.DataObject) -> None:
    spec, anchor = data.draw(calendars())
    cal = Calendar.from_dict(spec)
    start = utc(data.draw(instants(anchor, spec["timezone"])))
    end = start + timedelta(minutes=data.draw(st.integers(0, 20 * 1440)))
    a, b = to_us(start), to_us(end)
    found = cal.intervals_us(a, b)
    # Sorted, non-empty, apart from each other (adjacent ones would have been merged), in range.
    assert all(a <= s < e <= b for s, e in found)
    assert all(e1 < s2 for (_, e1), (s2, _) in pairwise(found))
    # Their total is the business time of the range, and their edges are where openness flips.
    assert sum(e - s for s, e in found) == cal.between_us(a, b)
    for s, e in found:
        assert cal.is_open_us(s)
        assert cal.is_open_us(e - 1)
        assert s == a or not cal.is_open_us(s - 1)
        assert e == b or not cal.is_open_us(e)
