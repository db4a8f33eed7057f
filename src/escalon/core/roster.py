"""A roster as plain data turned into the staffing the engine asks, and the roster's figures.

The replay reads a roster file (teams with their assignment strategy and on-call rotation,
agents with their teams, capacity, status, skills, languages, time zone and working hours) and
hands its teams and agents here as plain mappings. `build_roster` checks them against each other
(every team an agent names, every person a rotation names) and compiles them into the
`TeamStaff` of `escalon.core.staffing`; every problem is reported at once with its field path.

`RosterTally` counts, as a replay takes its decisions, who was paged, who carried which
escalation and when, which levels were skipped and which cases waited in a queue, and turns
that into the report's `roster` section (see docs/replay.md).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalon.core.assignment import AVAILABLE, AWAY, OFF_SHIFT, STRATEGIES, Candidate
from escalon.core.calendar import Calendar, CalendarError
from escalon.core.engine import Action
from escalon.core.policy.compiled import Policy
from escalon.core.rotations import OVERRIDE, Rotation, RotationError, rotation_from_dict
from escalon.core.staffing import Staffing, TeamStaff
from escalon.core.state import from_us

STATUSES = (AVAILABLE, AWAY, OFF_SHIFT)
DEFAULT_CAPACITY = 20
# Shifts are looked up this far either side of the replayed span, so that a shift that began
# before the first event or ends after the last one is reported with its real bounds.
SHIFT_MARGIN_US = 31 * 24 * 3_600_000_000


class RosterInvalid(ValueError):
    """A roster that cannot be built; `problems` lists (field path, problem) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {why}" if path else why for path, why in problems))


@dataclass(frozen=True, slots=True)
class StaffRoster:
    """The teams of a roster as the engine sees them, and each person's time zone."""

    teams: tuple[TeamStaff, ...]
    timezones: Mapping[str, tzinfo] = field(default_factory=dict)

    def staffing(self) -> Staffing:
        """A fresh staffing: nobody has a case yet and no round robin has turned."""
        return Staffing.of(replace(team, members=list(team.members)) for team in self.teams)

    def rotations(self) -> list[tuple[str, Rotation]]:
        """(team, rotation) for the teams that have one, in the roster's order."""
        return [(team.name, team.rotation) for team in self.teams if team.rotation is not None]

    def timezone(self, handle: str) -> tzinfo:
        """The person's time zone (UTC for someone the roster does not list)."""
        return self.timezones.get(handle, UTC)


def build_staffing(teams: object, agents: object) -> Staffing:
    """A staffing over the roster's teams and agents (see `build_roster`)."""
    return build_roster(teams, agents).staffing()


def build_roster(teams: object, agents: object) -> StaffRoster:
    """Compile a roster's teams and agents (lists of mappings); RosterInvalid lists every problem.

    A team: `name`, optional `assignment` (a strategy; none: cases wait in its queue) and
    `rotation` (as `rotation_from_dict` reads it). An agent: `handle`, `teams`, `capacity` (20),
    `status` (available), `skills`, `languages`, `timezone` (UTC) and `working_hours` (calendar
    hours in that zone; "always" or none: always working). Other fields are ignored. A team's
    members are its agents in handle order, as in the live service: the order a round robin
    follows.
    """
    problems: list[tuple[str, str]] = []
    team_rows = _listed(teams, "teams", problems)
    agent_rows = _listed(agents, "agents", problems)
    # A name or handle counts as known even when the rest of its entry is wrong, so one mistake
    # is reported once, not again by everything that refers to it.
    staffs: list[tuple[int, str, str | None, Rotation | None]] = []
    known_teams: set[str] = set()
    for index, raw in enumerate(team_rows):
        name, found = _team(raw, f"teams[{index}]", problems)
        if name is None:
            continue
        if name in known_teams:
            problems.append((f"teams[{index}].name", f"{name!r} is listed twice"))
            continue
        known_teams.add(name)
        if found is not None:
            staffs.append((index, name, *found))
    members: dict[str, list[Candidate]] = {name: [] for _, name, _, _ in staffs}
    timezones: dict[str, tzinfo] = {}
    for index, raw in enumerate(agent_rows):
        path = f"agents[{index}]"
        handle, person, zone, memberships = _agent(raw, path, problems)
        for number, team in enumerate(memberships):
            if team not in known_teams:
                problems.append(
                    (
                        f"{path}.teams[{number}]",
                        f"no team {team!r} in the roster (list it in teams)",
                    )
                )
        if handle is None:
            continue
        if handle in timezones:
            problems.append((f"{path}.handle", f"{handle!r} is listed twice"))
            continue
        timezones[handle] = zone or UTC
        if person is None:
            continue
        for team in dict.fromkeys(memberships):
            if team in members:
                members[team].append(person)
    for index, _name, _strategy, rotation in staffs:
        if rotation is not None:
            problems.extend(_strangers(rotation, f"teams[{index}].rotation", timezones))
    if problems:
        raise RosterInvalid(problems)
    return StaffRoster(
        tuple(
            TeamStaff(
                name, sorted(members[name], key=lambda person: person.handle), rotation, strategy
            )
            for _, name, strategy, rotation in staffs
        ),
        timezones,
    )


def _listed(value: object, path: str, problems: list[tuple[str, str]]) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        problems.append((path, f"a list of {path}"))
        return []
    return list(value)


def _text(
    raw: Mapping[str, Any], key: str, path: str, problems: list[tuple[str, str]]
) -> str | None:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append((f"{path}.{key}", "required: give it as text"))
        return None
    return value.strip()


def _team(
    raw: object, path: str, problems: list[tuple[str, str]]
) -> tuple[str | None, tuple[str | None, Rotation | None] | None]:
    """The team's name (None: none given) and, when all of it reads, its strategy and rotation."""
    if not isinstance(raw, Mapping):
        problems.append((path, "a team is a mapping with a name"))
        return None, None
    before = len(problems)
    name = _text(raw, "name", path, problems)
    strategy = raw.get("assignment")
    if strategy is not None and strategy not in STRATEGIES:
        problems.append(
            (f"{path}.assignment", f"{strategy!r} is not a strategy ({', '.join(STRATEGIES)})")
        )
    rotation = None
    if raw.get("rotation") is not None:
        try:
            rotation = rotation_from_dict(raw["rotation"], path=f"{path}.rotation")
        except RotationError as error:
            problems.extend(error.problems)
    if len(problems) > before:
        return name, None
    return name, (strategy, rotation)


def _agent(
    raw: object, path: str, problems: list[tuple[str, str]]
) -> tuple[str | None, Candidate | None, tzinfo | None, list[str]]:
    """The handle, the person (None: something does not read), their zone and their teams."""
    if not isinstance(raw, Mapping):
        problems.append((path, "an agent is a mapping with a handle"))
        return None, None, None, []
    before = len(problems)
    handle = _text(raw, "handle", path, problems)
    teams = _names(raw.get("teams"), f"{path}.teams", problems)
    skills = _names(raw.get("skills"), f"{path}.skills", problems)
    languages = _names(raw.get("languages"), f"{path}.languages", problems)
    capacity = raw.get("capacity")
    if capacity is None:
        capacity = DEFAULT_CAPACITY
    elif isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        problems.append(
            (f"{path}.capacity", f"{capacity!r} is not a whole number of cases, 0 or more")
        )
    status = raw.get("status") or AVAILABLE
    if status not in STATUSES:
        problems.append((f"{path}.status", f"{status!r} is not one of {', '.join(STATUSES)}"))
    zone_name = raw.get("timezone") or "UTC"
    zone: tzinfo | None = None
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append((f"{path}.timezone", f"{zone_name!r} is not an IANA time zone name"))
    hours = _working_hours(raw.get("working_hours"), zone_name, handle, path, problems, zone)
    if len(problems) > before or handle is None:
        return handle, None, zone, teams
    person = Candidate(
        handle=handle,
        status=str(status),
        capacity=int(capacity),
        skills=frozenset(skills),
        languages=frozenset(languages),
        working_hours=hours,
    )
    return handle, person, zone, teams


def _names(value: object, path: str, problems: list[tuple[str, str]]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        problems.append((path, "a list of names"))
        return []
    return [item.strip() for item in value]


def _working_hours(
    hours: object,
    zone_name: object,
    handle: str | None,
    path: str,
    problems: list[tuple[str, str]],
    zone: tzinfo | None,
) -> Calendar | None:
    if hours is None or hours == "always" or zone is None:
        return None
    if not isinstance(hours, Mapping):
        problems.append(
            (f"{path}.working_hours", "'always' or weekdays with intervals (mon: ['09:00-17:00'])")
        )
        return None
    # A day left empty by a form or a model dump is a day off, not a mistake.
    days = {day: spans for day, spans in hours.items() if spans is not None}
    try:
        return Calendar.from_dict(
            {"timezone": str(zone_name), "hours": days}, name=f"{handle or path} working hours"
        )
    except CalendarError as error:
        for where, why in error.problems or [("", str(error))]:
            detail = where.removeprefix("hours").lstrip(".")
            separator = "" if detail.startswith("[") or not detail else "."
            problems.append((f"{path}.working_hours{separator}{detail}", why))
        return None


def _strangers(
    rotation: Rotation, path: str, people: Mapping[str, object]
) -> list[tuple[str, str]]:
    """Everyone a rotation names who is not an agent of the roster."""
    problems = []
    for number, layer in enumerate(rotation.layers):
        for position, member in enumerate(layer.members):
            if member not in people:
                problems.append(
                    (
                        f"{path}.layers[{number}].members[{position}]",
                        f"{member!r} is not an agent of the roster",
                    )
                )
    for number, override in enumerate(rotation.overrides):
        if override.person not in people:
            problems.append(
                (
                    f"{path}.overrides[{number}].person",
                    f"{override.person!r} is not an agent of the roster",
                )
            )
    return problems


# -- the report's roster section -------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    paged: int = 0
    escalations: int = 0
    assigned: int = 0
    # When they were paged, and when they took on an escalation (µs, in the order taken).
    paged_at: list[int] = field(default_factory=list)
    carried_at: list[int] = field(default_factory=list)


def _firing(key: str) -> str:
    """The firing an action belongs to: a rule's actions share their key up to the position."""
    head, _, last = key.rpartition("|")
    return head if head and last.isdigit() else key


class RosterTally:
    """The roster figures of a replay, counted decision by decision."""

    def __init__(self, roster: StaffRoster) -> None:
        self.roster = roster
        self.people: dict[str, _Person] = {}
        for team in roster.teams:
            for member in team.members:
                self.people.setdefault(member.handle, _Person())
        for handle in roster.timezones:
            self.people.setdefault(handle, _Person())
        self.skipped_levels: Counter[str] = Counter()
        self.queued_by_team: Counter[str] = Counter()
        self.queued_cases: set[str] = set()

    def person(self, handle: str) -> _Person:
        found = self.people.get(handle)
        if found is None:
            found = self.people[handle] = _Person()
        return found

    def take(self, actions: Sequence[Action], assignee: str | None) -> None:
        """Count the actions of one engine call on a case that `assignee` held before it."""
        # An escalation is carried by whoever its assignment gives the case to, and by everyone
        # the notifications of the same firing reach (before or after it in the rule).
        escalations = {action.key: action for action in actions if action.action == "escalate"}
        firings = {_firing(key): key for key in escalations}
        carriers: dict[str, set[str]] = {}
        for action in actions:
            kind = action.action
            details = action.details
            if kind == "assign":
                chosen = details.get("assignee")
                if chosen is None:
                    self.queued_cases.add(action.case)
                    self.queued_by_team[str(details.get("team"))] += 1
                elif chosen != assignee:
                    self.person(chosen).assigned += 1
                assignee = chosen
                escalated = action.key.removesuffix("|assign")
                if chosen is not None and escalated in escalations:
                    carriers.setdefault(escalated, set()).add(chosen)
            elif kind == "notify":
                reached = details.get("reached")
                if not reached:
                    continue
                people = dict.fromkeys(handle for handles in reached.values() for handle in handles)
                for handle in people:
                    person = self.person(handle)
                    person.paged += 1
                    person.paged_at.append(action.at)
                paging = firings.get(_firing(action.key))
                if paging is not None:
                    carriers.setdefault(paging, set()).update(people)
            elif kind == "skip_level":
                self.skipped_levels[str(details.get("level"))] += 1
        for key, handles in carriers.items():
            at = escalations[key].at
            for handle in sorted(handles):
                person = self.person(handle)
                person.escalations += 1
                person.carried_at.append(at)

    def report(self, policy: Policy, start: int | None, end: int | None) -> dict[str, Any]:
        """The `roster` section over the replayed span [start, end]."""
        order = {level.name: position for position, level in enumerate(policy.levels)}
        for person in self.people.values():
            person.paged_at.sort()
            person.carried_at.sort()
        shifts = self.shifts(start, end) if start is not None and end is not None else []
        return {
            "people": {
                handle: {
                    "paged": person.paged,
                    "escalations": person.escalations,
                    "assigned": person.assigned,
                }
                for handle, person in sorted(self.people.items())
            },
            "shifts": shifts,
            "days": self.days(),
            "skipped_levels": {
                name: self.skipped_levels[name]
                for name in sorted(self.skipped_levels, key=lambda n: (order.get(n, len(order)), n))
            },
            "queued": {
                "cases": len(self.queued_cases),
                "by_team": dict(sorted(self.queued_by_team.items())),
            },
        }

    def shifts(self, start: int, end: int) -> list[dict[str, Any]]:
        """Every on-call shift of the roster's rotations that overlaps [start, end]."""
        found = []
        for team, rotation in self.roster.rotations():
            zones = {layer.name: layer.timezone for layer in rotation.layers}
            fallback = rotation.layers[-1].timezone
            window = rotation.schedule(start - SHIFT_MARGIN_US, end + SHIFT_MARGIN_US + 1)
            for shift in window:
                if shift.end <= start or shift.start > end:
                    continue
                person = self.people.get(shift.person) or _Person()
                zone = fallback if shift.source == OVERRIDE else zones.get(shift.source, fallback)
                found.append(
                    {
                        "team": team,
                        "person": shift.person,
                        "source": shift.source,
                        "start": from_us(shift.start).astimezone(zone).isoformat(),
                        "end": from_us(shift.end).astimezone(zone).isoformat(),
                        "paged": _within(person.paged_at, shift.start, shift.end),
                        "escalations": _within(person.carried_at, shift.start, shift.end),
                    }
                )
        return found

    def days(self) -> list[dict[str, Any]]:
        """Pages and escalations taken while not on call, per person and local day."""
        rotations = [rotation for _, rotation in self.roster.rotations()]
        found: list[dict[str, Any]] = []
        for handle, person in sorted(self.people.items()):
            zone = self.roster.timezone(handle)
            days: dict[str, list[int]] = {}
            for slot, instants in enumerate((person.paged_at, person.carried_at)):
                for at in instants:
                    if any(rotation.on_call(at) == handle for rotation in rotations):
                        continue
                    day = from_us(at).astimezone(zone).date().isoformat()
                    days.setdefault(day, [0, 0])[slot] += 1
            found.extend(
                {"person": handle, "day": day, "paged": paged, "escalations": carried}
                for day, (paged, carried) in sorted(days.items())
            )
        return found


def _within(instants: list[int], start: int, end: int) -> int:
    """How many of the (sorted) instants fall in [start, end)."""
    return bisect.bisect_left(instants, end) - bisect.bisect_left(instants, start)


def busiest(items: Iterable[dict[str, Any]], count: int = 5) -> list[dict[str, Any]]:
    """The entries with the most escalations carried, then pages (for the summary)."""
    ranked = [item for item in items if item["escalations"] or item["paged"]]
    ranked.sort(key=lambda item: (-item["escalations"], -item["paged"]))
    return ranked[:count]
