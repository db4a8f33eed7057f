"""A roster's entries checked, each on its own and then against each other, every problem at once.

Each entry is validated alone, so one bad entry hides nothing about the others; then the sound
entries are checked together (names given twice, hours and rotations that do not read) and,
when asked, against the names outside the file: those of the database and the active policy
(`KnownNames`, for an import) or none at all (`self_contained`, for the replay, whose roster
must name every team and person it uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from escalon.core.calendar import Calendar
from escalon.core.documents import describe
from escalon.core.policy.source import Path, format_path
from escalon.core.roster.reading import UNREAD, suggest
from escalon.core.roster.schema import (
    MAX_AGENTS,
    MAX_TEAMS,
    AgentIn,
    Roster,
    RosterProblem,
    RotationIn,
    TeamEntry,
    Where,
)
from escalon.core.rotations import RotationError, rotation_from_dict

Entry = TypeVar("Entry", bound=BaseModel)


def check_data(
    data: Any, where: Where, *, names: KnownNames | None = None, self_contained: bool = False
) -> tuple[Roster | None, list[RosterProblem]]:
    """The roster a document's data makes (None: it has problems), and every problem found.

    `names`: the levels and teams are checked against them too. `self_contained`: every team an
    agent joins and every person a rotation names must be in the document itself.
    """
    problems: list[RosterProblem] = []
    if data is None:
        return None, problems
    if not isinstance(data, Mapping):
        problems.append(where.detail((), "a roster is a mapping with `teams:` and `agents:`"))
        return None, problems
    for key in data:
        if key not in ("teams", "agents"):
            problems.append(
                where.detail((str(key),), f"unknown section {key!r}: a roster has teams and agents")
            )
    teams = _entries(data, "teams", TeamEntry, MAX_TEAMS, where, problems)
    agents = _entries(data, "agents", AgentIn, MAX_AGENTS, where, problems)
    problems.extend(_checks(teams, agents, where, duplicates=False))
    if names is not None:
        problems.extend(names.check(teams, agents, where))
    if self_contained:
        problems.extend(_outside(data, teams, where))
    # Names given twice are found among every entry, sound or not.
    teams_named = _raw_names(data, "teams", "name")
    problems.extend(_duplicates(teams_named, _raw_names(data, "agents", "handle"), where))
    if problems:
        return None, problems
    roster = Roster(teams=[entry for _, entry in teams], agents=[entry for _, entry in agents])
    roster._source = where.source
    roster._lines = where.lines
    return roster, problems


def _entries(
    data: Mapping[Any, Any],
    section: str,
    model: type[Entry],
    limit: int,
    where: Where,
    problems: list[RosterProblem],
) -> list[tuple[int, Entry]]:
    """The section's sound entries with their positions; the problems of the others."""
    raw = data.get(section)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            where.detail((section,), f"expected a list of {section}, got {describe(raw)}")
        )
        return []
    if len(raw) > limit:
        problems.append(where.detail((section,), f"more than {limit} {section}: split the roster"))
        return []
    found = []
    for index, entry in enumerate(raw):
        if entry is UNREAD:
            continue
        try:
            found.append((index, model.model_validate(entry)))
        except ValidationError as error:
            for path, problem in explain_validation(error, entry, model.model_fields):
                problems.append(where.detail((section, index, *path), problem))
    return found


def explain_validation(
    error: ValidationError, entry: Any, fields: Iterable[str]
) -> list[tuple[Path, str]]:
    """Pydantic's errors of one entry (a TeamEntry or an AgentIn, validated from `entry`) in
    words a roster's author can act on, by field path; `fields` are the model's, to suggest."""
    found: dict[Path, str] = {}
    raw = entry if isinstance(entry, Mapping) else {}
    for item in error.errors(include_url=False):
        loc: list[str | int] = list(item["loc"])
        kind: str = item["type"]
        value = item.get("input")
        # AgentIn's unions name their member in the location: say what either would take.
        if len(loc) >= 2 and loc[0] == "working_hours":
            member = str(loc.pop(1))
            if isinstance(raw.get("working_hours"), Mapping) == member.startswith("literal"):
                continue  # the other member's error says more
            if member.startswith("literal"):
                found.setdefault(
                    tuple(loc),
                    "expected 'always' or weekdays with 'HH:MM-HH:MM' intervals "
                    f"(mon: ['09:00-17:00']), got {describe(value)}",
                )
                continue
        elif len(loc) >= 3 and loc[0] == "authority" and loc[2] != "[key]":
            member = str(loc.pop(2))
            ranged = kind in {"greater_than_equal", "less_than_equal", "finite_number"}
            if ranged and not member.startswith("literal"):
                found.setdefault(tuple(loc), _out_of_range(kind, item, value))
            elif not ranged and member.startswith("literal"):
                found.setdefault(
                    tuple(loc), f"expected an amount or 'unlimited', got {describe(value)}"
                )
            continue
        if loc and loc[-1] == "[key]":
            # A mapping's key (an authority's kind) that is not a name.
            loc.pop()
            found.setdefault(tuple(loc), f"the name {_problem(kind, item, value, fields)}")
            continue
        found.setdefault(tuple(loc), _problem(kind, item, value, fields))
    return list(found.items())


# What a validation error of each kind says; `{value}` is the value as written, other names
# come from the error's context.
_PHRASES = {
    "missing": "is required but missing",
    "extra_forbidden": "unknown field {name!r}{suggestion}",
    "literal_error": "{value} is not one of {expected}",
    "string_type": "expected text, got {value}",
    "int_type": "expected a whole number, got {value}",
    "int_parsing": "expected a whole number, got {value}",
    "int_from_float": "expected a whole number, got {value}",
    "dict_type": "expected a mapping (key: value), got {value}",
    "model_type": "expected a mapping (key: value), got {value}",
    "model_attributes_type": "expected a mapping (key: value), got {value}",
    "list_type": "expected a list, got {value}",
    "string_too_short": "must not be empty",
    "string_too_long": "is longer than {max_length} characters",
    "too_short": "list at least {min_length}",
    "too_long": "lists more than {max_length}",
}
_OUT_OF_RANGE = frozenset(
    {"greater_than_equal", "less_than_equal", "greater_than", "less_than", "finite_number"}
)


class _Context(dict[str, Any]):
    """An error's context, where a name it lacks reads as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def _problem(kind: str, item: Any, value: Any, fields: Iterable[str]) -> str:
    name = str(item["loc"][-1]) if item["loc"] else ""
    context = item.get("ctx", {})
    phrase = _PHRASES.get(kind)
    if phrase is not None:
        suggestion = suggest(name, fields) if kind == "extra_forbidden" else ""
        words = _Context(context, name=name, value=describe(value), suggestion=suggestion)
        return phrase.format_map(words)
    if kind == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        if context.get("pattern") == r"^\S+$":
            return f"{describe(value)} must be one word, without spaces"
        return f"{describe(value)} must not start or end with a space"
    if kind in _OUT_OF_RANGE:
        return _out_of_range(kind, item, value)
    return str(item["msg"])


def _out_of_range(kind: str, item: Any, value: Any) -> str:
    context = item.get("ctx", {})

    def shown(key: str) -> str:
        bound = context.get(key)
        return f"{bound:g}" if isinstance(bound, float) else str(bound)

    bound = {
        "greater_than_equal": f"at least {shown('ge')}",
        "less_than_equal": f"at most {shown('le')}",
        "greater_than": f"more than {shown('gt')}",
        "less_than": f"less than {shown('lt')}",
    }.get(kind, "a finite number")
    return f"{describe(value)} is out of range: it must be {bound}"


def _checks(
    teams: list[tuple[int, TeamEntry]],
    agents: list[tuple[int, AgentIn]],
    where: Where,
    *,
    duplicates: bool = True,
) -> list[RosterProblem]:
    """The entries against each other: names given twice, hours and rotations that do not read."""
    problems = []
    if duplicates:
        problems = _duplicates(
            [(index, team.name) for index, team in teams],
            [(index, agent.handle) for index, agent in agents],
            where,
        )
    for index, agent in agents:
        calendar = {
            "timezone": agent.timezone,
            "hours": "always" if agent.working_hours is None else agent.working_hours,
        }
        for place, why in Calendar.validate(calendar):
            if place == "timezone":
                path: Path = ("agents", index, "timezone")
            else:
                rest = split_path(place.removeprefix("hours").lstrip("."))
                path = ("agents", index, "working_hours", *rest)
            problems.append(where.detail(path, why))
    for index, team in teams:
        if team.rotation is None:
            continue
        try:
            rotation_from_dict(team.rotation.model_dump(), path=f"teams[{index}].rotation")
        except RotationError as error:
            problems.extend(where.detail(split_path(place), why) for place, why in error.problems)
    return problems


def _duplicates(
    teams: list[tuple[int, str]], agents: list[tuple[int, str]], where: Where
) -> list[RosterProblem]:
    problems = []
    for section, key, names in (("teams", "name", teams), ("agents", "handle", agents)):
        first: dict[str, int] = {}
        for index, name in names:
            if name not in first:
                first[name] = index
                continue
            earlier = (section, first[name])
            line = where.lines.line_of(earlier)
            at = format_path(earlier) + (f", line {line}" if line else "")
            problems.append(
                where.detail((section, index, key), f"{name!r} is given twice (first at {at})")
            )
    return problems


def _raw_names(data: Mapping[Any, Any], section: str, key: str) -> list[tuple[int, str]]:
    """The names the entries of a section give, sound or not (to find one given twice)."""
    entries = data.get(section)
    if not isinstance(entries, list):
        return []
    return [
        (index, entry[key].strip())
        for index, entry in enumerate(entries)
        if isinstance(entry, Mapping) and isinstance(entry.get(key), str) and entry[key].strip()
    ]


def split_path(text: str) -> Path:
    """`teams[0].rotation.layers[1].shift` -> ('teams', 0, 'rotation', 'layers', 1, 'shift')."""
    return tuple(
        int(index) if index else name for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text)
    )


@dataclass(frozen=True, slots=True)
class KnownNames:
    """What a roster's names are checked against: the teams stored and, when a policy is
    active, its levels and teams."""

    stored_teams: frozenset[str]
    policy: str | None = None
    levels: tuple[str, ...] = ()
    policy_teams: frozenset[str] = frozenset()

    def check(
        self,
        teams: list[tuple[int, TeamEntry]],
        agents: list[tuple[int, AgentIn]],
        where: Where,
    ) -> list[RosterProblem]:
        """One problem per unknown name, however many entries give it, with a suggestion.

        A level must be one of the policy's. A team an agent joins must be in the roster or
        stored. A new team outside the policy is allowed (the policy never routes to it), unless
        its name is so close to one of the policy's that it reads as a slip.
        """
        in_file = {team.name for _, team in teams}
        levels: dict[str, list[Path]] = {}
        slips: dict[str, list[Path]] = {}
        missing: dict[str, list[Path]] = {}
        for index, team in teams:
            if self._slip(team.name):
                slips.setdefault(team.name, []).append(("teams", index, "name"))
        for index, agent in agents:
            if self.policy and agent.level is not None and agent.level not in self.levels:
                levels.setdefault(agent.level, []).append(("agents", index, "level"))
            for number, name in enumerate(agent.teams):
                if name not in in_file and name not in self.stored_teams:
                    missing.setdefault(name, []).append(("agents", index, "teams", number))
        every_team = in_file | self.stored_teams | self.policy_teams
        return [
            *_once(
                where,
                levels,
                lambda name: (
                    f"{self.policy} has no level {name!r}"
                    f"{suggest(name, self.levels)}; its levels: {', '.join(self.levels)}"
                ),
            ),
            *_once(
                where,
                slips,
                lambda name: (
                    f"{self.policy} has no team {name!r}"
                    f"{suggest(name, self.policy_teams)}; its teams: "
                    f"{', '.join(sorted(self.policy_teams))}"
                ),
            ),
            *_once(
                where,
                missing,
                lambda name: (
                    f"no team is named {name!r}, in the roster or in the database"
                    f"{suggest(name, every_team)}"
                ),
            ),
        ]

    def _slip(self, name: str) -> bool:
        """A team name outside the policy that is close to one of the policy's teams."""
        if not self.policy or name in self.policy_teams or name in self.stored_teams:
            return False
        return bool(suggest(name, self.policy_teams))


def _once(
    where: Where, found: dict[str, list[Path]], problem: Callable[[str], str]
) -> list[RosterProblem]:
    """A problem per name, at its first place, saying how many other places give it."""
    details = []
    for name, paths in found.items():
        also = ""
        if len(paths) > 1:
            shown = ", ".join(format_path(path) for path in paths[1:4])
            more = f" and {len(paths) - 4} more" if len(paths) > 4 else ""
            also = f" (also at {shown}{more})"
        details.append(where.detail(paths[0], problem(name) + also))
    return details


def _rotation_people(rotation: RotationIn) -> list[tuple[Path, str]]:
    """Everyone a rotation names (layers' members, overrides' people), with their paths in it."""
    found: list[tuple[Path, str]] = []
    for number, layer in enumerate(rotation.layers):
        for position, member in enumerate(layer.get("members") or []):
            if isinstance(member, str) and member.strip():
                found.append((("layers", number, "members", position), member.strip()))
    for number, override in enumerate(rotation.overrides):
        person = override.get("person")
        if isinstance(person, str) and person.strip():
            found.append((("overrides", number, "person"), person.strip()))
    return found


def _outside(
    data: Mapping[Any, Any], teams: list[tuple[int, TeamEntry]], where: Where
) -> list[RosterProblem]:
    """Teams agents join and people rotations name that the roster does not list.

    A name or handle counts as listed even when the rest of its entry is wrong, so one mistake
    is reported once, not again by everything that refers to it.
    """
    listed_teams = {name for _, name in _raw_names(data, "teams", "name")}
    handles = {handle for _, handle in _raw_names(data, "agents", "handle")}
    problems = []
    agents = data.get("agents")
    for index, entry in enumerate(agents if isinstance(agents, list) else []):
        joined = entry.get("teams") if isinstance(entry, Mapping) else None
        for number, team in enumerate(joined if isinstance(joined, list) else []):
            if isinstance(team, str) and team.strip() and team.strip() not in listed_teams:
                problems.append(
                    where.detail(
                        ("agents", index, "teams", number),
                        f"no team {team.strip()!r} in the roster (list it in teams)",
                    )
                )
    problems.extend(
        where.detail(path, f"{person!r} is not an agent of the roster")
        for person, path in rotation_strangers(teams, handles)
    )
    return problems


def rotation_strangers(
    teams: Iterable[tuple[int, TeamEntry]], handles: Container[str]
) -> list[tuple[str, Path]]:
    """Everyone the teams' rotations name who is not among `handles`, with their field paths."""
    return [
        (person, ("teams", index, "rotation", *place))
        for index, team in teams
        if team.rotation is not None
        for place, person in _rotation_people(team.rotation)
        if person not in handles
    ]


def check_entries(roster: Roster, names: KnownNames | None = None) -> list[RosterProblem]:
    """A roster's sound entries against each other and, given `names`, against those outside
    it (a roster that came as data rather than from `load_roster`)."""
    where = roster.where()
    teams, agents = list(enumerate(roster.teams)), list(enumerate(roster.agents))
    problems = _checks(teams, agents, where)
    if names is not None:
        problems.extend(names.check(teams, agents, where))
    return problems
