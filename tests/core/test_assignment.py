"""Assignment strategies: who gets the case, and why nobody does when nobody fits."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from escalon.core.assignment import AWAY, OFF_SHIFT, Candidate, Need, choose, is_present
from escalon.core.calendar import Calendar
from escalon.core.state import to_us

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = Calendar.from_dict(
    {"timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed")}}
)
TUESDAY_NOON = to_us(datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN))
TUESDAY_NIGHT = to_us(datetime(2026, 12, 1, 23, 0, tzinfo=BERLIN))


def team(*people: Candidate) -> list[Candidate]:
    """A team in its order."""
    return list(people)


def test_round_robin_gives_the_next_person_after_the_last_and_wraps() -> None:
    people = team(Candidate("ana"), Candidate("ben"), Candidate("carl"))
    assert choose("round_robin", people, at_us=TUESDAY_NOON).agent == "ana"
    assert choose("round_robin", people, at_us=TUESDAY_NOON, last="ana").agent == "ben"
    assert choose("round_robin", people, at_us=TUESDAY_NOON, last="carl").agent == "ana"


def test_round_robin_skips_people_away_or_at_capacity() -> None:
    people = team(
        Candidate("ana"), Candidate("ben", status=AWAY), Candidate("carl", capacity=2, open_cases=2)
    )
    assert choose("round_robin", people, at_us=TUESDAY_NOON, last="ana").agent == "ana"


def test_least_loaded_compares_load_against_capacity() -> None:
    people = team(
        Candidate("ana", capacity=10, open_cases=5),
        Candidate("ben", capacity=4, open_cases=3),
        Candidate("carl", capacity=20, open_cases=8),
    )
    choice = choose("least_loaded", people, at_us=TUESDAY_NOON)
    assert choice.agent == "carl"
    assert choice.reason == "least loaded (8/20)"


def test_skills_require_category_and_language_and_prefer_the_tier() -> None:
    people = team(
        Candidate("ana", skills=frozenset({"billing"}), languages=frozenset({"en"})),
        Candidate(
            "ben", skills=frozenset({"billing"}), languages=frozenset({"de", "en"}), open_cases=5
        ),
        Candidate(
            "carl",
            skills=frozenset({"billing", "enterprise"}),
            languages=frozenset({"de"}),
            open_cases=9,
        ),
    )
    need = Need(category="billing", language="de", tier="enterprise")
    assert choose("skills", people, at_us=TUESDAY_NOON, need=need).agent == "carl"
    assert choose("skills", people, at_us=TUESDAY_NOON, need=Need("billing", "de")).agent == "ben"
    nobody = choose("skills", people, at_us=TUESDAY_NOON, need=Need("billing", "fr"))
    assert nobody.agent is None
    assert nobody.reason == "nobody present with room has category 'billing' and language 'fr'"


def test_people_outside_their_working_hours_are_not_chosen() -> None:
    people = team(Candidate("ana", working_hours=OFFICE))
    assert choose("least_loaded", people, at_us=TUESDAY_NOON).agent == "ana"
    night = choose("least_loaded", people, at_us=TUESDAY_NIGHT)
    assert night.agent is None
    assert night.reason == "nobody in the team is present now"


def test_the_on_call_person_is_chosen_at_night_but_not_when_away() -> None:
    people = team(Candidate("ana", working_hours=OFFICE), Candidate("omar", status=OFF_SHIFT))
    assert choose("on_call", people, at_us=TUESDAY_NIGHT, on_call="omar").agent == "omar"
    # On call, they count as present for the other strategies too.
    assert choose("least_loaded", people, at_us=TUESDAY_NIGHT, on_call="omar").agent == "omar"
    away = team(Candidate("omar", status=AWAY))
    assert choose("on_call", away, at_us=TUESDAY_NIGHT, on_call="omar").reason == (
        "omar is on call but away"
    )
    assert choose("on_call", people, at_us=TUESDAY_NIGHT).reason == "nobody is on call"


def test_everyone_at_capacity_is_said_so() -> None:
    people = team(Candidate("ana", capacity=1, open_cases=1))
    choice = choose("round_robin", people, at_us=TUESDAY_NOON)
    assert choice.agent is None
    assert choice.reason == "everyone present is at capacity"
    assert choose("round_robin", [], at_us=TUESDAY_NOON).reason == "the team has nobody"


def test_presence_follows_status_and_hours() -> None:
    assert is_present(Candidate("a"), TUESDAY_NIGHT)
    assert not is_present(Candidate("a", status=OFF_SHIFT), TUESDAY_NOON)
    assert is_present(Candidate("a", status=OFF_SHIFT), TUESDAY_NOON, on_call=True)
    assert not is_present(Candidate("a", working_hours=OFFICE), TUESDAY_NIGHT)


def test_an_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'lottery'"):
        choose("lottery", [Candidate("a")], at_us=TUESDAY_NOON)
