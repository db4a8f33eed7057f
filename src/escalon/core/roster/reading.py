"""Roster files read into plain data, remembering the line of every field.

A roster is YAML (or JSON) with `teams:` and `agents:`, or a CSV of agents, one a row. Reading
finds what does not parse (with its line); checking the entries is `checking`'s. The one-line
forms of working hours and authority (CSV cells, command-line options) are read and written here.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

from escalon.core import documents
from escalon.core.calendar import WEEKDAYS
from escalon.core.policy.source import SourceMap, format_path, read_yaml
from escalon.core.roster.schema import RosterProblem

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
# A CSV row whose problem is already reported (its cells do not line up with the columns).
UNREAD = object()
SUFFIXES = (".yaml", ".yml", ".json", ".csv")


def read_text(text: str, source: str, kind: str) -> tuple[Any, SourceMap, list[RosterProblem]]:
    """A roster's text as plain data (None: nothing), its lines, and what does not parse.

    `kind` is the file's suffix: `.csv` reads agents from rows, anything else YAML (or JSON).
    """
    if kind == ".csv":
        data, lines, problems = _read_csv(text)
    else:
        data, lines, problems = _read_mapping(text, source, json_file=kind == ".json")
    if data is None and not problems:
        problems.append(
            RosterProblem("the roster is empty: give teams, agents or both", source=source)
        )
    return data, lines, problems


def _read_mapping(
    text: str, source: str, *, json_file: bool
) -> tuple[Any, SourceMap, list[RosterProblem]]:
    data, lines, problems = read_yaml(text, source, documents.ROSTER)
    if data is None and json_file and not any(p.limit for p in problems):
        # PyYAML reads YAML 1.1, which refuses a few things JSON allows (tabs, for one).
        try:
            return documents.load_json(text, documents.ROSTER), SourceMap(), []
        except documents.LimitExceeded as error:
            return None, SourceMap(), [RosterProblem(f"the roster {error.message}", source=source)]
        except json.JSONDecodeError as error:
            problem = f"not valid JSON: {error.msg}"
            return None, SourceMap(), [RosterProblem(problem, line=error.lineno, source=source)]
    details = [
        RosterProblem(p.message, field=p.path or None, line=p.line, source=source) for p in problems
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


def _read_csv(text: str) -> tuple[Any, SourceMap, list[RosterProblem]]:
    """Agents from a CSV (one a row, a header naming the columns); teams are those it names."""
    lines = SourceMap()
    problems: list[RosterProblem] = []
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        problems.append(RosterProblem(f"not valid CSV: {error}", line=reader.line_num))
        return None, lines, problems
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return (
            None,
            lines,
            [RosterProblem("the file is empty: give a header row and one row per agent")],
        )
    header_line, header = rows[0]
    columns = [cell.strip() for cell in header]
    for number, column in enumerate(columns):
        if column not in CSV_COLUMNS:
            problem = (
                f"column {number + 1} has no name"
                if not column
                else f"unknown column {column!r}{suggest(column, CSV_COLUMNS)}; "
                f"the columns are {', '.join(CSV_COLUMNS)}"
            )
            problems.append(RosterProblem(problem, field=column or None, line=header_line))
        elif columns.index(column) != number:
            problems.append(
                RosterProblem("the column is given twice", field=column, line=header_line)
            )
    problems.extend(
        RosterProblem("the column is missing (it is required)", field=column, line=header_line)
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
                RosterProblem(
                    f"{len(row)} cells, but the header names {len(columns)} columns "
                    "(quote a cell that holds a comma)",
                    field=f"agents[{index}]",
                    line=line,
                )
            )
            agents.append(UNREAD)
            continue
        entry: dict[str, Any] = {}
        for column, cell in zip(columns, row, strict=False):
            try:
                value = _cell(column, cell.strip())
            except ValueError as error:
                problems.append(
                    RosterProblem(
                        str(error), field=format_path(("agents", index, column)), line=line
                    )
                )
                continue
            if value is not None:
                entry[column] = value
        agents.append(entry)
    teams: dict[str, int] = {}
    for index, entry in enumerate(agents):
        for name in [] if entry is UNREAD else entry.get("teams", []):
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


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest of the choices, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
