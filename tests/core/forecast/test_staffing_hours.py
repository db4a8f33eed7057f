"""Hours of the week, mean arrivals over a window, and a week sized against a roster."""

from __future__ import annotations

from datetime import UTC, datetime

from escalon.core.assignment import Candidate
from escalon.core.calendar import Calendar
from escalon.core.forecast.staffing import (
    HOUR_US,
    WEEK_US,
    Demand,
    StaffingGoal,
    hour_of_week,
    staffed_hours,
    weekly_arrivals,
)
from escalon.core.state import to_us

MONDAY = to_us(datetime(2026, 11, 30, tzinfo=UTC))


def test_hours_of_the_week_count_from_monday_midnight_utc() -> None:
    assert hour_of_week(MONDAY) == 0
    assert hour_of_week(MONDAY + 10 * HOUR_US + 59 * 60_000_000) == 10
    assert hour_of_week(MONDAY - 1) == 167  # Sunday 23:59:59.999999


def test_mean_arrivals_divide_by_how_often_each_hour_was_seen() -> None:
    # Two weeks and a day: Monday's hours were seen three times, the others twice.
    since, until = MONDAY, MONDAY + 2 * WEEK_US + 24 * HOUR_US
    arrivals = [MONDAY + 10 * HOUR_US, MONDAY + WEEK_US + 10 * HOUR_US, MONDAY + 30 * HOUR_US]
    means = weekly_arrivals(arrivals, since, until)
    assert means[10] == 2 / 3
    assert means[30] == 1 / 2
    assert sum(1 for mean in means if mean) == 2
    # Arrivals outside the window do not count.
    assert weekly_arrivals([MONDAY - 1, until], since, until) == (0.0,) * 168


def test_a_week_sized_against_people_with_and_without_working_hours() -> None:
    office = Calendar.from_dict({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}})
    people = [
        Candidate("ana", working_hours=office),
        Candidate("bo", working_hours=office),
        Candidate("night", working_hours=None),  # no hours set: always working
    ]
    arrivals = [0.0] * 168
    arrivals[10] = 30.0
    demand = Demand(tuple(arrivals), handle_seconds=600, measured_cases=40)
    goal = StaffingGoal(target_seconds=300, goal=0.8, shrinkage=0.25)
    hours = staffed_hours(demand, goal, people, MONDAY + 5 * 60_000_000, hours=24)
    assert hours[0].start_us == MONDAY  # from the hour holding the start
    busy = hours[10]
    assert (busy.arrivals, busy.rostered) == (30.0, 3)
    assert busy.needed > 3
    assert busy.short == busy.needed - 3
    assert busy.service_level < 0.8
    night = hours[3]
    assert (night.needed, night.rostered, night.short, night.service_level) == (0, 1, 0, 1.0)
