"""When someone of a team may next become present: what the hand-out of waiting cases waits for."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from escalon.core.assignment import AWAY, Candidate, next_arrival
from escalon.core.calendar import Calendar
from escalon.core.state import to_us

BERLIN = ZoneInfo("Europe/Berlin")


def hours(start: str) -> Calendar:
    """Weekday working hours from `start` to 17:00, Berlin."""
    days = ("mon", "tue", "wed", "thu", "fri")
    return Calendar.from_dict(
        {"timezone": "Europe/Berlin", "hours": {d: [f"{start}-17:00"] for d in days}}
    )


TUESDAY_NIGHT = to_us(datetime(2026, 12, 1, 23, 0, tzinfo=BERLIN))
WEDNESDAY = datetime(2026, 12, 2, tzinfo=BERLIN)


def test_the_earliest_start_of_someones_working_hours_is_next() -> None:
    team = [
        Candidate("ana", working_hours=hours("09:00")),
        Candidate("ben", working_hours=hours("07:30")),
    ]
    assert next_arrival(team, TUESDAY_NIGHT) == to_us(WEDNESDAY.replace(hour=7, minute=30))


def test_someone_away_or_always_working_brings_no_arrival() -> None:
    team = [
        Candidate("ana", status=AWAY, working_hours=hours("07:00")),
        Candidate("ben"),  # no working hours: present already, nothing to wait for
        Candidate("carl", working_hours=hours("10:00")),
    ]
    assert next_arrival(team, TUESDAY_NIGHT) == to_us(WEDNESDAY.replace(hour=10))
    assert next_arrival(team[:2], TUESDAY_NIGHT) is None


def test_a_change_of_who_is_on_call_counts_when_it_comes_first() -> None:
    team = [Candidate("ana", working_hours=hours("09:00"))]
    handover = to_us(WEDNESDAY.replace(hour=6))
    past = TUESDAY_NIGHT - 3600 * 1_000_000
    assert next_arrival(team, TUESDAY_NIGHT, rotation_changes=[past, handover]) == handover
