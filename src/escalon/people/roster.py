"""Roster files: teams, agents and on-call rotations in one document, checked whole, imported
all or nothing.

A roster is YAML (or JSON) with `teams:` and `agents:`, or a CSV of agents, one a row. Every
problem is reported at once with the file, the line and the field path (`agents[3].capacity`).
An import creates what is new, updates what differs (only the fields the file gives) and says
what it left unchanged; see docs/people.md.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalon.core import documents
from escalon.core.calendar import WEEKDAYS, Calendar
from escalon.core.policy.source import Path, SourceMap, format_path, read_yaml
from escalon.core.rotations import RotationError, rotation_from_dict
from escalon.errors import Detail, Invalid
from escalon.people import service
from escalon.people.models import Agent, Team
from escalon.people.schemas import AgentIn, AgentPatch, RotationIn, TeamIn, TeamPatch
from escalon.policies import service as policy_service

MAX_TEAMS = 1000
MAX_AGENTS = 10_000
CSV_COLUMNS = (
    "handle",
    "name",
    "email",
    "chat",
    "level",
    "teams",
    "skills",
    "languages",
    "capacity",
    "status",
    "timezone",
    "working_hours",
    "authority",
)
_LIST_COLUMNS = frozenset({"teams", "skills", "languages"})
_DAYS = re.compile(r"([a-z]{3})(?:-([a-z]{3}))?")
Entry = TypeVar("Entry", bound=BaseModel)
# A CSV row whose problem is already reported (its cells do not line up with the columns).
_UNREAD = object()


class TeamEntry(TeamIn):
    """A team of a roster: a new team's fields and, if given, its on-call rotation."""

    rotation: RotationIn | None = Field(
        None,
        description="the on-call rotation, as PUT /teams/{name}/rotation takes it; "
        "null removes the team's rotation, leaving it out keeps the one stored",
    )


class Roster(BaseModel):
    """Teams and agents to create or update; an agent entry takes the fields of AgentIn."""

    model_config = ConfigDict(extra="forbid")

    teams: list[TeamEntry] = Field(default_factory=list, max_length=MAX_TEAMS)
    agents: list[AgentIn] = Field(default_factory=list, max_length=MAX_AGENTS)
    # Where the roster was read from, to name the file and line of a problem found at import.
    _source: str | None = PrivateAttr(None)
    _lines: SourceMap = PrivateAttr(default_factory=SourceMap)

    def locate(self, path: Path, problem: str) -> Detail:
        """A problem at a field path, with the file and line when the roster came from a file."""
        return _Where(self._source, self._lines).detail(path, problem)


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a document came from, to name the file and line of a field's problem."""

    source: str | None
    lines: SourceMap

    def detail(self, path: Path, problem: str) -> Detail:
        return Detail(
            problem,
            field=format_path(path) or None,
            line=self.lines.line_of(path),
            source=self.source,
        )


class RosterError(Invalid):
    """A roster with problems; `details` names each one (file, line, field path, problem)."""

    def __init__(self, source: str | None, details: list[Detail]) -> None:
        where = f"{source}: " if source else ""
        first = _first(details) if details else "it cannot be read"
        super().__init__(f"{where}the roster has {len(details)} problem(s): {first}", details)


def _first(details: list[Detail]) -> str:
    detail = details[0]
    return f"{detail.field}: {detail.problem}" if detail.field else detail.problem


Outcome = Literal["created", "updated", "unchanged"]


class ImportedItem(BaseModel):
    """What an import did (or, in a dry run, would do) to one team or agent."""

    name: str = Field(description="the team's name or the agent's handle")
    outcome: Outcome
    changed: list[str] = Field(
        default_factory=list, description="the fields an update changes, in name order"
    )


class ImportReport(BaseModel):
    """What an import did to each team and agent of the roster, in the roster's order."""

    dry_run: bool = Field(description="true: nothing was written")
    teams: list[ImportedItem]
    agents: list[ImportedItem]

    def count(self, kind: Literal["teams", "agents"], outcome: Outcome) -> int:
        """How many teams or agents had this outcome."""
        return sum(item.outcome == outcome for item in getattr(self, kind))

    def summary(self) -> str:
        """`teams: 1 created, 0 updated, 4 unchanged; agents: ...`."""
        return "; ".join(
            f"{kind}: "
            + ", ".join(
                f"{self.count(kind, outcome)} {outcome}"
                for outcome in ("created", "updated", "unchanged")
            )
            for kind in ("teams", "agents")
        )


# -- reading a file -----------------------------------------------------------------------------


def load_roster(path: str | FilePath, *, names: KnownNames | None = None) -> Roster:
    """Read and check a roster file (.yaml, .yml, .json or .csv); RosterError lists every problem.

    With `names` (known_names), the levels and teams the file gives are checked against the
    active policy and the stored teams too, so one run reports them with the file's other
    problems. `import_roster` checks them (and the people rotations name) again.
    """
    file = FilePath(path)
    source = str(path)
    suffix = file.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json", ".csv"}:
        raise RosterError(
            source, [Detail("a roster file ends in .yaml, .yml, .json or .csv", source=source)]
        )
    try:
        size, most = file.stat().st_size, documents.ROSTER.max_bytes
        if size > most:
            # Said before reading: a file this large is refused without being loaded.
            problem = f"the roster is {size:,} bytes; at most {most:,} are read (size limit)"
            raise RosterError(source, [Detail(problem, source=source)])
        text = file.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RosterError(
            source, [Detail(f"cannot read the roster: {error.strerror or error}", source=source)]
        ) from None
    except UnicodeDecodeError:
        raise RosterError(
            source, [Detail("cannot read the roster: it is not UTF-8 text", source=source)]
        ) from None
    if suffix == ".csv":
        data, lines, problems = _read_csv(text)
    else:
        data, lines, problems = _read_mapping(text, source, json_file=suffix == ".json")
    if data is None and not problems:
        problems.append(Detail("the roster is empty: give teams, agents or both", source=source))
    roster, found = _build(data, _Where(source, lines), names)
    problems.extend(found)
    if problems:
        located = [replace(detail, source=detail.source or source) for detail in problems]
        raise RosterError(source, sorted(located, key=_order))
    assert roster is not None
    return roster


def _order(detail: Detail) -> int:
    # By line in a file; in the order found otherwise (the sort is stable).
    return detail.line or 0


def _read_mapping(
    text: str, source: str, *, json_file: bool
) -> tuple[Any, SourceMap, list[Detail]]:
    data, lines, problems = read_yaml(text, source, documents.ROSTER)
    if data is None and json_file and not any(p.limit for p in problems):
        # PyYAML reads YAML 1.1, which refuses a few things JSON allows (tabs, for one).
        try:
            return documents.load_json(text, documents.ROSTER), SourceMap(), []
        except documents.LimitExceeded as error:
            return None, SourceMap(), [Detail(f"the roster {error.message}", source=source)]
        except json.JSONDecodeError as error:
            problem = f"not valid JSON: {error.msg}"
            return None, SourceMap(), [Detail(problem, line=error.lineno, source=source)]
    details = [
        Detail(p.message, field=p.path or None, line=p.line, source=source) for p in problems
    ]
    return _plain(data), lines, details


def _plain(value: Any) -> Any:
    """YAML reads unquoted timestamps as dates: keep them as the text they were written as."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _read_csv(text: str) -> tuple[Any, SourceMap, list[Detail]]:
    """Agents from a CSV (one a row, a header naming the columns); teams are those it names."""
    lines = SourceMap()
    problems: list[Detail] = []
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        problems.append(Detail(f"not valid CSV: {error}", line=reader.line_num))
        return None, lines, problems
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return None, lines, [Detail("the file is empty: give a header row and one row per agent")]
    header_line, header = rows[0]
    columns = [cell.strip() for cell in header]
    for number, column in enumerate(columns):
        if column not in CSV_COLUMNS:
            problem = (
                f"column {number + 1} has no name"
                if not column
                else f"unknown column {column!r}{_suggest(column, CSV_COLUMNS)}; "
                f"the columns are {', '.join(CSV_COLUMNS)}"
            )
            problems.append(Detail(problem, field=column or None, line=header_line))
        elif columns.index(column) != number:
            problems.append(Detail("the column is given twice", field=column, line=header_line))
    problems.extend(
        Detail("the column is missing (it is required)", field=column, line=header_line)
        for column in ("handle", "name")
        if column not in columns
    )
    if problems:
        return None, lines, problems
    agents: list[Any] = []
    for index, (line, row) in enumerate(rows[1:]):
        lines.lines[("agents", index)] = line
        if len(row) > len(columns):
            problems.append(
                Detail(
                    f"{len(row)} cells, but the header names {len(columns)} columns "
                    "(quote a cell that holds a comma)",
                    field=f"agents[{index}]",
                    line=line,
                )
            )
            agents.append(_UNREAD)
            continue
        entry: dict[str, Any] = {}
        for column, cell in zip(columns, row, strict=False):
            try:
                value = _cell(column, cell.strip())
            except ValueError as error:
                problems.append(
                    Detail(str(error), field=format_path(("agents", index, column)), line=line)
                )
                continue
            if value is not None:
                entry[column] = value
        agents.append(entry)
    teams: dict[str, int] = {}
    for index, entry in enumerate(agents):
        for name in [] if entry is _UNREAD else entry.get("teams", []):
            teams.setdefault(name, lines.lines[("agents", index)])
    for number, line in enumerate(teams.values()):
        lines.lines[("teams", number)] = line
    return {"teams": [{"name": name} for name in teams], "agents": agents}, lines, problems


def _cell(column: str, text: str) -> Any:
    """One CSV cell as the field's value; None when it is empty (the field is not given)."""
    if not text:
        return None
    if column in _LIST_COLUMNS:
        return [item.strip() for item in text.split(";") if item.strip()]
    if column == "capacity":
        return int(text) if re.fullmatch(r"[+-]?\d{1,9}", text) else text
    if column == "working_hours":
        return parse_working_hours(text)
    if column == "authority":
        return parse_authority(text)
    return text


def parse_working_hours(text: str) -> dict[str, list[str]] | Literal["always"] | None:
    """Working hours written on one line: `mon-fri 09:00-17:00`, `mon 09:00-12:00,13:00-17:00;
    tue 09:00-17:00`, `always`, or nothing (None). The intervals are checked as a calendar's."""
    text = text.strip()
    if not text:
        return None
    if text.lower() == "always":
        return "always"
    hours: dict[str, list[str]] = {}
    for part in (part.strip() for part in text.split(";")):
        if not part:
            continue
        days, _, intervals = part.partition(" ")
        match = _DAYS.fullmatch(days.lower())
        if match is None or not all(day in WEEKDAYS for day in match.groups() if day):
            raise ValueError(
                f"{days!r} is not a weekday or a range of them (mon, mon-fri; "
                f"the days are {', '.join(WEEKDAYS)})"
            )
        first = WEEKDAYS.index(match.group(1))
        last = WEEKDAYS.index(match.group(2) or match.group(1))
        if last < first:
            raise ValueError(f"{days!r} runs backwards: write the earlier day first (mon-fri)")
        spans = [span.strip() for span in intervals.split(",") if span.strip()]
        if not spans:
            raise ValueError(f"{part!r} gives no hours: write e.g. 'mon-fri 09:00-17:00'")
        for day in WEEKDAYS[first : last + 1]:
            hours.setdefault(day, []).extend(spans)
    if not hours:
        raise ValueError("write hours like 'mon-fri 09:00-17:00', or 'always'")
    return hours


def format_working_hours(hours: Any) -> str:
    """Working hours on one line, as `parse_working_hours` reads them (`mon-fri 09:00-17:00`);
    empty when none are set."""
    if hours is None:
        return ""
    if not isinstance(hours, Mapping):
        return str(hours)
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        intervals = hours.get(day)
        if not intervals:
            continue
        text = ",".join(intervals)
        if (
            groups
            and groups[-1][1] == text
            and groups[-1][0][-1] == WEEKDAYS[WEEKDAYS.index(day) - 1]
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    return ";".join(
        f"{days[0]}-{days[-1]} {text}" if len(days) > 1 else f"{days[0]} {text}"
        for days, text in groups
    )


def format_authority(authority: Mapping[str, Any] | None) -> str:
    """Authority on one line, as `parse_authority` reads it (`refund=800;credit=unlimited`)."""
    return ";".join(
        f"{kind}={int(amount) if isinstance(amount, float) and amount.is_integer() else amount}"
        for kind, amount in (authority or {}).items()
    )


def parse_authority(text: str) -> dict[str, str]:
    """Authority written on one line: `refund=800;credit=unlimited` (amounts checked later)."""
    authority: dict[str, str] = {}
    for part in (part.strip() for part in text.split(";")):
        if not part:
            continue
        kind, equals, amount = (piece.strip() for piece in part.partition("="))
        if not equals or not kind or not amount:
            raise ValueError(f"{part!r} is not kind=amount (e.g. refund=800 or credit=unlimited)")
        if kind in authority:
            raise ValueError(f"{kind!r} is given twice")
        authority[kind] = amount
    return authority


# -- checking a document ------------------------------------------------------------------------


def _build(
    data: Any, where: _Where, names: KnownNames | None = None
) -> tuple[Roster | None, list[Detail]]:
    """Validate each entry on its own, so one bad entry hides nothing about the others, then
    check the sound entries against each other."""
    problems: list[Detail] = []
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
    where: _Where,
    problems: list[Detail],
) -> list[tuple[int, Entry]]:
    """The section's sound entries with their positions; the problems of the others."""
    raw = data.get(section)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            where.detail((section,), f"expected a list of {section}, got {_describe(raw)}")
        )
        return []
    if len(raw) > limit:
        problems.append(where.detail((section,), f"more than {limit} {section}: split the roster"))
        return []
    found = []
    for index, entry in enumerate(raw):
        if entry is _UNREAD:
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
                    f"(mon: ['09:00-17:00']), got {_describe(value)}",
                )
                continue
        elif len(loc) >= 3 and loc[0] == "authority" and loc[2] != "[key]":
            member = str(loc.pop(2))
            ranged = kind in {"greater_than_equal", "less_than_equal", "finite_number"}
            if ranged and not member.startswith("literal"):
                found.setdefault(tuple(loc), _out_of_range(kind, item, value))
            elif not ranged and member.startswith("literal"):
                found.setdefault(
                    tuple(loc), f"expected an amount or 'unlimited', got {_describe(value)}"
                )
            continue
        if loc and loc[-1] == "[key]":
            # A mapping's key (an authority's kind) that is not a name.
            loc.pop()
            found.setdefault(tuple(loc), f"the name {_problem(kind, item, value, fields)}")
            continue
        found.setdefault(tuple(loc), _problem(kind, item, value, fields))
    return list(found.items())


def _problem(kind: str, item: Any, value: Any, fields: Iterable[str]) -> str:
    name = str(item["loc"][-1]) if item["loc"] else ""
    context = item.get("ctx", {})
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return f"unknown field {name!r}{_suggest(name, fields)}"
    if kind == "literal_error":
        return f"{_describe(value)} is not one of {context.get('expected', '')}"
    if kind == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    if kind == "string_type":
        return f"expected text, got {_describe(value)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"expected a whole number, got {_describe(value)}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"expected a mapping (key: value), got {_describe(value)}"
    if kind == "list_type":
        return f"expected a list, got {_describe(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than {context.get('max_length')} characters"
    if kind == "too_short":
        return f"list at least {context.get('min_length')}"
    if kind == "too_long":
        return f"lists more than {context.get('max_length')}"
    if kind == "string_pattern_mismatch":
        if context.get("pattern") == r"^\S+$":
            return f"{_describe(value)} must be one word, without spaces"
        return f"{_describe(value)} must not start or end with a space"
    if kind in {
        "greater_than_equal",
        "less_than_equal",
        "greater_than",
        "less_than",
        "finite_number",
    }:
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
    return f"{_describe(value)} is out of range: it must be {bound}"


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    return repr(value)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _checks(
    teams: list[tuple[int, TeamEntry]],
    agents: list[tuple[int, AgentIn]],
    where: _Where,
    *,
    duplicates: bool = True,
) -> list[Detail]:
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
    teams: list[tuple[int, str]], agents: list[tuple[int, str]], where: _Where
) -> list[Detail]:
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
        where: _Where,
    ) -> list[Detail]:
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
                    f"{_suggest(name, self.levels)}; its levels: {', '.join(self.levels)}"
                ),
            ),
            *_once(
                where,
                slips,
                lambda name: (
                    f"{self.policy} has no team {name!r}"
                    f"{_suggest(name, self.policy_teams)}; its teams: "
                    f"{', '.join(sorted(self.policy_teams))}"
                ),
            ),
            *_once(
                where,
                missing,
                lambda name: (
                    f"no team is named {name!r}, in the roster or in the database"
                    f"{_suggest(name, every_team)}"
                ),
            ),
        ]

    def _slip(self, name: str) -> bool:
        """A team name outside the policy that is close to one of the policy's teams."""
        if not self.policy or name in self.policy_teams or name in self.stored_teams:
            return False
        return bool(_suggest(name, self.policy_teams))


def known_names(session: Session) -> KnownNames:
    """The stored teams, and the active policy's levels and teams when one is active."""
    stored = frozenset(session.scalars(select(Team.name)))
    policy = policy_service.active(session)
    if policy is None:
        return KnownNames(stored_teams=stored)
    return KnownNames(
        stored_teams=stored,
        policy=f"the active policy ({policy.name} version {policy.version})",
        levels=tuple(level.name for level in policy.levels),
        policy_teams=frozenset(policy.teams),
    )


def _once(
    where: _Where, found: dict[str, list[Path]], problem: Callable[[str], str]
) -> list[Detail]:
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


# -- importing ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    teams: list[tuple[TeamEntry, Outcome, dict[str, Any]]] = field(default_factory=list)
    agents: list[tuple[AgentIn, Outcome, dict[str, Any]]] = field(default_factory=list)


def import_roster(
    session: Session, roster: Roster, *, now: int, dry_run: bool = False
) -> ImportReport:
    """Create and update the roster's teams, agents and rotations, all or nothing.

    Everything is checked before anything is written: any problem raises Invalid with one
    Detail each, and nothing changes. Only the fields an entry gives are set; an agent that
    lists `teams` gets exactly those memberships. A dry run answers the same report and writes
    nothing.
    """
    where = _Where(roster._source, roster._lines)
    teams, agents = list(enumerate(roster.teams)), list(enumerate(roster.agents))
    problems = _checks(teams, agents, where)
    problems.extend(known_names(session).check(teams, agents, where))
    problems.extend(_people_in_rotations(session, roster))
    if problems:
        problems.sort(key=_order)
        raise Invalid(f"the roster has {len(problems)} problem(s): {_first(problems)}", problems)
    plan = _plan(session, roster)
    if not dry_run:
        _apply(session, plan, now)
    return ImportReport(
        dry_run=dry_run,
        teams=[
            ImportedItem(name=entry.name, outcome=outcome, changed=_changed(outcome, changes))
            for entry, outcome, changes in plan.teams
        ],
        agents=[
            ImportedItem(name=entry.handle, outcome=outcome, changed=_changed(outcome, changes))
            for entry, outcome, changes in plan.agents
        ],
    )


def _changed(outcome: Outcome, changes: dict[str, Any]) -> list[str]:
    return sorted(changes) if outcome == "updated" else []


def _people_in_rotations(session: Session, roster: Roster) -> list[Detail]:
    """People the roster's rotations name that are neither in it nor in the database."""
    problems: list[Detail] = []
    people: dict[str, list[Path]] = {}
    for index, team in enumerate(roster.teams):
        if team.rotation is None:
            continue
        for where, person in _rotation_people(team.rotation):
            people.setdefault(person, []).append(("teams", index, "rotation", *where))
    in_file_people = {agent.handle for agent in roster.agents}
    unknown = set(people) - in_file_people
    unknown -= _existing(session, Agent.handle, unknown)
    for person in sorted(unknown, key=lambda name: people[name][0]):
        problems.extend(
            roster.locate(path, f"{person!r} is not an agent, in the roster or in the database")
            for path in people[person]
        )
    return problems


def _existing(session: Session, column: Any, names: set[str]) -> set[str]:
    if not names:
        return set()
    return set(session.scalars(select(column).where(column.in_(sorted(names)))))


def _rotation_people(rotation: RotationIn) -> list[tuple[Path, str]]:
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


def _plan(session: Session, roster: Roster) -> _Plan:
    plan = _Plan()
    names = [team.name for team in roster.teams]
    teams = {team.name: team for team in session.scalars(select(Team).where(Team.name.in_(names)))}
    for team_entry in roster.teams:
        team = teams.get(team_entry.name)
        if team is None:
            created = {} if team_entry.rotation is None else {"rotation": team_entry.rotation}
            plan.teams.append((team_entry, "created", created))
            continue
        team_changes: dict[str, Any] = {}
        for name in team_entry.model_fields_set - {"name"}:
            value = getattr(team_entry, name)
            stored = getattr(team, name)
            if name == "rotation":
                if (None if value is None else value.model_dump()) != stored:
                    team_changes[name] = value
            elif value != stored:
                team_changes[name] = value
        outcome: Outcome = "updated" if team_changes else "unchanged"
        plan.teams.append((team_entry, outcome, team_changes))
    handles = [agent.handle for agent in roster.agents]
    agents = {
        agent.handle: agent
        for agent in session.scalars(
            select(Agent).where(Agent.handle.in_(handles)).options(selectinload(Agent.teams))
        )
    }
    for agent_entry in roster.agents:
        agent = agents.get(agent_entry.handle)
        if agent is None:
            plan.agents.append((agent_entry, "created", {}))
            continue
        agent_changes: dict[str, Any] = {}
        for name in agent_entry.model_fields_set - {"handle"}:
            value = getattr(agent_entry, name)
            if name == "teams":
                if sorted(set(value)) != sorted(team.name for team in agent.teams):
                    agent_changes[name] = sorted(set(value))
                continue
            if name in ("skills", "languages"):
                value = list(dict.fromkeys(value))
            if value != getattr(agent, name):
                agent_changes[name] = value
        outcome = "updated" if agent_changes else "unchanged"
        plan.agents.append((agent_entry, outcome, agent_changes))
    return plan


def _apply(session: Session, plan: _Plan, now: int) -> None:
    for entry, outcome, changes in plan.teams:
        if outcome == "created":
            service.create_team(session, data=entry, now=now)
        fields = {name: value for name, value in changes.items() if name != "rotation"}
        if outcome == "updated" and fields:
            service.update_team(session, name=entry.name, data=TeamPatch.model_validate(fields))
    for agent, outcome, changes in plan.agents:
        if outcome == "created":
            service.create_agent(session, data=agent, now=now)
        elif outcome == "updated":
            service.update_agent(
                session,
                handle=agent.handle,
                data=AgentPatch.model_validate(changes),
                now=now,
            )
    # Last: a rotation may only name agents, and they now all exist.
    for entry, _outcome, changes in plan.teams:
        if "rotation" not in changes:
            continue
        team = service.team_by_name(session, entry.name)
        rotation: RotationIn | None = changes["rotation"]
        if rotation is None:
            service.clear_rotation(session, team=team)
        else:
            service.set_rotation(session, team=team, data=rotation)
