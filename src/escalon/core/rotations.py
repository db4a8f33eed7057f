"""On-call rotations: who answers for a team at an instant, and the shifts to come.

A rotation has layers and overrides. A layer is a list of members who take turns, one shift
each, starting at a hand-off time; it may be restricted to certain hours (a calendar: "weekdays
09:00-17:00"), outside which it has nobody. Layers are listed lowest first: at any instant the
highest layer with someone on call decides. An override (a person covering a span) beats every
layer; of overlapping overrides the one listed last wins.

Shift boundaries are wall-clock times in the layer's time zone: a daily hand-off at 09:00 stays at
09:00 across a daylight-saving change, so that day's shift lasts 23 or 25 hours. A hand-off that
falls in the hour skipped by a change is read with the offset in force before it, as calendars
read skipped times. Instants are UTC microseconds, like the rest of the core.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalon.core.calendar import Calendar, CalendarError
from escalon.core.state import from_us, to_us

MINIMUM_SHIFT = timedelta(minutes=15)
# Longer shifts mean nothing for on-call, and 200 upcoming shifts of one must stay in the calendar.
MAXIMUM_SHIFT = timedelta(weeks=52)
OVERRIDE = "override"
_SHIFT = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


class RotationError(ValueError):
    """A rotation that cannot be built; `problems` lists (field path, problem) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {why}" if path else why for path, why in problems))


@dataclass(frozen=True, slots=True)
class Shift:
    """Someone on call from `start` to `end` (µs), and what put them there."""

    person: str
    start: int
    end: int
    source: str  # the layer's name, or "override"


@dataclass(frozen=True, slots=True)
class Override:
    """A person covering a span, whatever the layers say."""

    person: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Layer:
    """Members taking turns, `shift` of wall-clock time each, from a local hand-off time."""

    name: str
    members: tuple[str, ...]
    shift: timedelta
    handoff: datetime  # naive: a wall-clock time in `timezone`, when members[0]'s turn starts
    timezone: ZoneInfo
    restriction: Calendar | None = None

    def shift_start(self, index: int) -> int:
        """When shift number `index` starts (0 is the hand-off; negative ones are before it)."""
        local = self.handoff + index * self.shift
        return to_us(local.replace(tzinfo=self.timezone))

    def shift_index(self, at_us: int) -> int:
        """The number of the shift that holds `at_us`."""
        local = from_us(at_us).astimezone(self.timezone).replace(tzinfo=None)
        index = (local - self.handoff) // self.shift
        # Wall-clock arithmetic is only a guess near a clock change: settle it on real instants.
        while self.shift_start(index) > at_us:
            index -= 1
        while self.shift_start(index + 1) <= at_us:
            index += 1
        return index

    def on_call(self, at_us: int) -> str | None:
        """Who this layer has on call at `at_us` (None outside its restriction)."""
        if self.restriction is not None and not self.restriction.is_open_us(at_us):
            return None
        return self.members[self.shift_index(at_us) % len(self.members)]

    def edges(self, start_us: int, end_us: int) -> list[int]:
        """Every instant in (start_us, end_us) at which this layer's answer may change."""
        found = []
        index = self.shift_index(start_us) + 1
        while (at := self.shift_start(index)) < end_us:
            found.append(at)
            index += 1
        if self.restriction is not None:
            for begin, finish in self.restriction.intervals_us(start_us, end_us):
                found.extend(edge for edge in (begin, finish) if start_us < edge < end_us)
        return found


@dataclass(frozen=True, slots=True)
class Rotation:
    """The layers and overrides that decide who is on call for one team."""

    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    _newest_first: tuple[Override, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_newest_first", tuple(reversed(self.overrides)))

    def who(self, at_us: int) -> tuple[str, str] | None:
        """(person, source) on call at `at_us`, or None when nobody is."""
        for override in self._newest_first:
            if override.start <= at_us < override.end:
                return override.person, OVERRIDE
        for layer in reversed(self.layers):
            person = layer.on_call(at_us)
            if person is not None:
                return person, layer.name
        return None

    def on_call(self, at_us: int) -> str | None:
        """Who is on call at `at_us`."""
        found = self.who(at_us)
        return None if found is None else found[0]

    def schedule(self, start_us: int, end_us: int) -> list[Shift]:
        """The final schedule over [start_us, end_us): consecutive shifts, gaps left out."""
        if start_us >= end_us:
            return []
        edges = {start_us, end_us}
        for layer in self.layers:
            edges.update(layer.edges(start_us, end_us))
        for override in self.overrides:
            edges.update(at for at in (override.start, override.end) if start_us < at < end_us)
        points = sorted(edges)
        shifts: list[Shift] = []
        for begin, finish in itertools.pairwise(points):
            found = self.who(begin)
            if found is None:
                continue
            person, source = found
            last = shifts[-1] if shifts else None
            if last is not None and last.end == begin and (last.person, last.source) == found:
                shifts[-1] = Shift(person, last.start, finish, source)
            else:
                shifts.append(Shift(person, begin, finish, source))
        return shifts

    def next_shifts(
        self, after_us: int, count: int, *, horizon: timedelta = timedelta(days=366)
    ) -> list[Shift]:
        """The next `count` shifts from `after_us` on (the current one first, if any)."""
        window = timedelta(days=7)
        limit = after_us + horizon // timedelta(microseconds=1)
        while True:
            end = min(after_us + window // timedelta(microseconds=1), limit)
            shifts = self.schedule(after_us, end)
            # The last shift may go on past the window: only trust it once something follows.
            if len(shifts) > count or end >= limit:
                return shifts[:count]
            window *= 2


# -- reading a rotation from its mapping (a roster file) ---------------------------------------


def parse_shift(value: object) -> timedelta:
    """A shift length: `12h`, `1d`, `7d`, `1w`, `1d12h`; at least 15 minutes."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a shift length such as '12h', '1d' or '1w', got {value!r}")
    match = _SHIFT.fullmatch(value.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{value!r} is not a shift length: use w, d, h and m, e.g. '1d' or '12h'")
    weeks, days, hours, minutes = (int(group or 0) for group in match.groups())
    # Counted in minutes first: a timedelta of 99999999999 weeks cannot even be made.
    total = ((weeks * 7 + days) * 24 + hours) * 60 + minutes
    if total > MAXIMUM_SHIFT // timedelta(minutes=1):
        raise ValueError(f"{value!r} is longer than 52 weeks")
    length = timedelta(minutes=total)
    if length < MINIMUM_SHIFT:
        raise ValueError(f"{value!r} is shorter than 15 minutes")
    return length


def rotation_from_dict(data: object, *, path: str = "rotation") -> Rotation:
    """Build a rotation from its mapping; RotationError lists every problem with its field."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        raise RotationError([(path, "a rotation is a mapping with layers (and overrides)")])
    unknown = sorted(set(map(str, data)) - {"layers", "overrides"})
    problems.extend((f"{path}.{key}", "unknown field (layers, overrides)") for key in unknown)
    raw_layers = data.get("layers")
    layers: list[Layer] = []
    if not isinstance(raw_layers, list) or not raw_layers:
        problems.append((f"{path}.layers", "list at least one layer"))
    else:
        names: set[str] = set()
        for number, raw in enumerate(raw_layers):
            layer = _layer(raw, f"{path}.layers[{number}]", problems)
            name = raw.get("name") if isinstance(raw, Mapping) else None
            if isinstance(name, str) and name.strip() in names:
                problems.append((f"{path}.layers[{number}].name", f"{name!r} is used twice"))
            if isinstance(name, str):
                names.add(name.strip())
            if layer is not None:
                layers.append(layer)
    overrides = []
    raw_overrides = data.get("overrides", [])
    if not isinstance(raw_overrides, list):
        problems.append((f"{path}.overrides", "a list of {person, start, end}"))
    else:
        for number, raw in enumerate(raw_overrides):
            found = _override(raw, f"{path}.overrides[{number}]", problems)
            if found is not None:
                overrides.append(found)
    if problems:
        raise RotationError(problems)
    return Rotation(tuple(layers), tuple(overrides))


def _layer(raw: object, path: str, problems: list[tuple[str, str]]) -> Layer | None:
    if not isinstance(raw, Mapping):
        problems.append((path, "a layer is a mapping: name, members, shift, handoff, timezone"))
        return None
    before = len(problems)
    known = {"name", "members", "shift", "handoff", "timezone", "restrict"}
    problems.extend(
        (f"{path}.{key}", f"unknown field ({', '.join(sorted(known))})")
        for key in sorted(set(map(str, raw)) - known)
    )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append((f"{path}.name", "give the layer a name"))
    members = raw.get("members")
    if (
        not isinstance(members, list)
        or not members
        or not all(isinstance(m, str) and m.strip() for m in members)
    ):
        problems.append((f"{path}.members", "list the members' handles, at least one"))
    shift = None
    try:
        shift = parse_shift(raw.get("shift"))
    except ValueError as error:
        problems.append((f"{path}.shift", str(error)))
    zone = None
    try:
        zone = ZoneInfo(str(raw.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            (f"{path}.timezone", f"{raw.get('timezone')!r} is not an IANA time zone name")
        )
    handoff = None
    try:
        handoff = datetime.fromisoformat(str(raw.get("handoff")))
        if handoff.tzinfo is not None:
            problems.append(
                (f"{path}.handoff", "a wall-clock time without offset: the layer's zone applies")
            )
    except ValueError:
        problems.append(
            (f"{path}.handoff", f"{raw.get('handoff')!r} is not a local time like 2026-12-01T09:00")
        )
    restriction = None
    if raw.get("restrict") is not None and zone is not None:
        try:
            restriction = Calendar.from_dict(
                {"timezone": zone.key, "hours": raw.get("restrict")}, name=f"{name} hours"
            )
        except CalendarError as error:
            for where, why in error.problems or [("", str(error))]:
                detail = where.removeprefix("hours").lstrip(".")
                problems.append((f"{path}.restrict" + (f".{detail}" if detail else ""), why))
    if len(problems) > before:
        return None
    assert isinstance(name, str)
    assert isinstance(members, list)
    assert shift is not None
    assert zone is not None
    assert handoff is not None
    return Layer(
        name.strip(), tuple(str(m).strip() for m in members), shift, handoff, zone, restriction
    )


def _override(raw: object, path: str, problems: list[tuple[str, str]]) -> Override | None:
    if not isinstance(raw, Mapping):
        problems.append((path, "an override is a mapping: person, start, end"))
        return None
    person = raw.get("person")
    instants: dict[str, int] = {}
    if not isinstance(person, str) or not person.strip():
        problems.append((f"{path}.person", "name the person who covers"))
    for key in ("start", "end"):
        try:
            moment = datetime.fromisoformat(str(raw.get(key)))
            if moment.tzinfo is None:
                raise ValueError
            instants[key] = to_us(moment)
        except ValueError:
            problems.append(
                (
                    f"{path}.{key}",
                    f"{raw.get(key)!r} is not an instant with offset (e.g. 2026-12-24T00:00+01:00)",
                )
            )
    if len(instants) == 2 and instants["end"] <= instants["start"]:
        problems.append((f"{path}.end", "must come after start"))
        return None
    if not isinstance(person, str) or len(instants) < 2:
        return None
    return Override(person.strip(), instants["start"], instants["end"])
