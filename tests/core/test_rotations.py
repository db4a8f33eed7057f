"""On-call rotations: turns, hand-offs across daylight-saving changes, restrictions, overrides."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalon.core.rotations import (
    OVERRIDE,
    Rotation,
    RotationError,
    Shift,
    parse_shift,
    rotation_from_dict,
)
from escalon.core.state import from_us, to_us

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3_600_000_000


def berlin(text: str) -> int:
    """'2026-03-29 09:00' in Berlin as µs."""
    return to_us(datetime.fromisoformat(text).replace(tzinfo=BERLIN))


def local(us: int) -> str:
    """µs as Berlin wall time, for readable assertions."""
    return from_us(us).astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %Z")


def layer(**fields: Any) -> dict[str, Any]:
    """A layer mapping with defaults: daily hand-off at 09:00 Berlin between ana, ben and carl."""
    return {
        "name": "primary",
        "members": ["ana", "ben", "carl"],
        "shift": "1d",
        "handoff": "2026-03-23T09:00",
        "timezone": "Europe/Berlin",
        **fields,
    }


def rotation(*layers: dict[str, Any], overrides: list[dict[str, Any]] | None = None) -> Rotation:
    """A rotation from layer mappings."""
    return rotation_from_dict({"layers": list(layers), "overrides": overrides or []})


def test_members_take_turns_from_the_hand_off() -> None:
    team = rotation(layer())
    assert team.on_call(berlin("2026-03-23 09:00")) == "ana"
    assert team.on_call(berlin("2026-03-24 08:59")) == "ana"
    assert team.on_call(berlin("2026-03-24 09:00")) == "ben"
    assert team.on_call(berlin("2026-03-25 12:00")) == "carl"
    assert team.on_call(berlin("2026-03-26 09:00")) == "ana"
    # Before the first hand-off the turns run backwards.
    assert team.on_call(berlin("2026-03-23 08:59")) == "carl"


def test_a_daily_hand_off_stays_at_nine_across_daylight_saving_changes() -> None:
    team = rotation(layer())
    spring = team.schedule(berlin("2026-03-28 09:00"), berlin("2026-03-30 09:00"))
    assert [(s.person, local(s.start), local(s.end)) for s in spring] == [
        ("carl", "2026-03-28 09:00 CET", "2026-03-29 09:00 CEST"),
        ("ana", "2026-03-29 09:00 CEST", "2026-03-30 09:00 CEST"),
    ]
    assert spring[0].end - spring[0].start == 23 * HOUR
    autumn = team.schedule(berlin("2026-10-24 09:00"), berlin("2026-10-25 09:00"))
    assert len(autumn) == 1
    assert autumn[0].end - autumn[0].start == 25 * HOUR


def test_twelve_hour_shifts_keep_their_wall_clock_times_on_the_long_night() -> None:
    team = rotation(layer(members=["day", "night"], shift="12h", handoff="2026-10-20T09:00"))
    night = team.schedule(berlin("2026-10-24 21:00"), berlin("2026-10-25 09:00"))
    assert [(s.person, local(s.start), local(s.end)) for s in night] == [
        ("night", "2026-10-24 21:00 CEST", "2026-10-25 09:00 CET")
    ]
    assert night[0].end - night[0].start == 13 * HOUR


def test_a_hand_off_in_the_skipped_hour_is_read_with_the_offset_before_the_change() -> None:
    team = rotation(layer(handoff="2026-03-23T02:30"))
    # 02:30 does not exist on 29 March: it is 02:30 CET, i.e. 03:30 CEST.
    assert team.on_call(berlin("2026-03-29 03:29")) == "carl"
    assert team.on_call(berlin("2026-03-29 03:30")) == "ana"


def test_a_restricted_layer_covers_its_hours_and_a_lower_one_the_rest() -> None:
    office = layer(
        name="office",
        members=["sara"],
        shift="1w",
        restrict={day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    nights = layer(name="nights", members=["omar", "mia"], shift="1w")
    team = rotation(nights, office)
    assert team.who(berlin("2026-03-24 12:00")) == ("sara", "office")
    assert team.who(berlin("2026-03-24 20:00")) == ("omar", "nights")
    assert team.who(berlin("2026-03-28 12:00")) == ("omar", "nights")  # Saturday
    assert team.who(berlin("2026-03-31 12:00")) == ("sara", "office")
    assert team.who(berlin("2026-03-31 20:00")) == ("mia", "nights")
    day = team.schedule(berlin("2026-03-24 00:00"), berlin("2026-03-25 00:00"))
    assert [(s.person, local(s.start)[11:16], local(s.end)[11:16]) for s in day] == [
        ("omar", "00:00", "09:00"),
        ("sara", "09:00", "17:00"),
        ("omar", "17:00", "00:00"),
    ]


def test_only_a_restricted_layer_leaves_gaps_with_nobody_on_call() -> None:
    team = rotation(layer(members=["sara"], restrict={"mon": ["09:00-17:00"]}))
    assert team.on_call(berlin("2026-03-24 10:00")) is None
    week = team.schedule(berlin("2026-03-23 00:00"), berlin("2026-03-30 00:00"))
    assert [(local(s.start), local(s.end)) for s in week] == [
        ("2026-03-23 09:00 CET", "2026-03-23 17:00 CET")
    ]


def test_overrides_beat_layers_and_the_last_listed_wins_where_they_overlap() -> None:
    team = rotation(
        layer(),
        overrides=[
            {"person": "mia", "start": "2026-03-24T12:00+01:00", "end": "2026-03-24T18:00+01:00"},
            {"person": "tom", "start": "2026-03-24T15:00+01:00", "end": "2026-03-24T16:00+01:00"},
        ],
    )
    day = team.schedule(berlin("2026-03-24 09:00"), berlin("2026-03-25 09:00"))
    assert [(s.person, s.source, local(s.start)[11:16], local(s.end)[11:16]) for s in day] == [
        ("ben", "primary", "09:00", "12:00"),
        ("mia", OVERRIDE, "12:00", "15:00"),
        ("tom", OVERRIDE, "15:00", "16:00"),
        ("mia", OVERRIDE, "16:00", "18:00"),
        ("ben", "primary", "18:00", "09:00"),
    ]


def test_consecutive_turns_of_one_person_are_one_shift() -> None:
    team = rotation(layer(members=["solo"]))
    week = team.schedule(berlin("2026-03-23 09:00"), berlin("2026-03-30 09:00"))
    assert week == [
        Shift("solo", berlin("2026-03-23 09:00"), berlin("2026-03-30 09:00"), "primary")
    ]


def test_the_next_shifts_start_with_the_current_one() -> None:
    team = rotation(layer(shift="1w", handoff="2026-03-23T09:00"))
    upcoming = team.next_shifts(berlin("2026-03-25 12:00"), 3)
    assert [(s.person, local(s.start), local(s.end)) for s in upcoming] == [
        ("ana", "2026-03-25 12:00 CET", "2026-03-30 09:00 CEST"),
        ("ben", "2026-03-30 09:00 CEST", "2026-04-06 09:00 CEST"),
        ("carl", "2026-04-06 09:00 CEST", "2026-04-13 09:00 CEST"),
    ]


@pytest.mark.parametrize(
    ("text", "hours"),
    [("12h", 12), ("1d", 24), ("1w", 168), ("1d12h", 36), ("90m", 1.5)],
)
def test_shift_lengths(text: str, hours: float) -> None:
    assert parse_shift(text) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("text", "words"), [("10m", "shorter"), ("1.5d", "not a shift"), ("", "expected a shift")]
)
def test_bad_shift_lengths_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_shift(text)


def test_every_problem_of_a_rotation_is_named_with_its_field() -> None:
    with pytest.raises(RotationError) as refused:
        rotation_from_dict(
            {
                "layers": [
                    layer(shift="3x", timezone="Mars/Olympus", surprise=1),
                    layer(name="b", handoff="2026-03-23T09:00+01:00", members=[]),
                    layer(name="c", restrict={"mon": ["25:00-26:00"]}),
                    layer(name="c"),
                ],
                "overrides": [
                    {
                        "person": "x",
                        "start": "2026-03-24T12:00+01:00",
                        "end": "2026-03-24T11:00+01:00",
                    },
                    {"person": "y", "start": "tomorrow", "end": "2026-03-24T11:00"},
                ],
            }
        )
    fields = [path for path, _problem in refused.value.problems]
    assert fields == [
        "rotation.layers[0].surprise",
        "rotation.layers[0].shift",
        "rotation.layers[0].timezone",
        "rotation.layers[1].members",
        "rotation.layers[1].handoff",
        "rotation.layers[2].restrict.mon[0]",
        "rotation.layers[3].name",
        "rotation.overrides[0].end",
        "rotation.overrides[1].start",
        "rotation.overrides[1].end",
    ]


# -- properties ---------------------------------------------------------------------------------

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC")


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    """Up to three layers (some restricted) and a few overrides near a DST change."""
    layers = []
    for number in range(draw(st.integers(1, 3))):
        zone = draw(st.sampled_from(ZONES))
        raw: dict[str, Any] = {
            "name": f"layer{number}",
            "members": draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4)),
            "shift": draw(st.sampled_from(["1h", "8h", "12h", "1d", "2d", "1w"])),
            "handoff": f"2026-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}T"
            f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 30])):02d}",
            "timezone": zone,
        }
        if draw(st.booleans()):
            first = draw(st.integers(0, 20))
            raw["restrict"] = {
                day: [f"{first:02d}:00-{draw(st.integers(first + 1, 24)):02d}:00"]
                for day in draw(
                    st.lists(st.sampled_from(["mon", "wed", "sat", "sun"]), min_size=1, unique=True)
                )
            }
        layers.append(raw)
    base = datetime(2026, 10, 24, tzinfo=UTC)
    overrides = []
    for _ in range(draw(st.integers(0, 3))):
        start = base + timedelta(hours=draw(st.integers(0, 72)))
        overrides.append(
            {
                "person": draw(st.sampled_from("xyz")),
                "start": start.isoformat(),
                "end": (start + timedelta(hours=draw(st.integers(1, 30)))).isoformat(),
            }
        )
    return rotation_from_dict({"layers": layers, "overrides": overrides})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rotations(), st.integers(0, 96), st.integers(1, 200), st.data())
def test_the_schedule_says_what_who_says_at_every_instant(
    team: Rotation, offset_hours: int, length_hours: int, data: st.DataObject
) -> None:
    start = to_us(datetime(2026, 10, 23, tzinfo=UTC)) + offset_hours * HOUR
    end = start + length_hours * HOUR
    shifts = team.schedule(start, end)
    assert all(start <= s.start < s.end <= end for s in shifts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(shifts))
    for _ in range(25):
        at = data.draw(st.integers(start, end - 1))
        covering = [s for s in shifts if s.start <= at < s.end]
        expected = team.who(at)
        if expected is None:
            assert covering == []
        else:
            assert [(s.person, s.source) for s in covering] == [expected]
