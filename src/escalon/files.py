"""Reading the files a person points Escalon at: policies, calendars and rosters.

The core checks documents as text and does no I/O; this is where their files are opened. A
calendar or roster file larger than its size limit is refused before it is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Never

from escalon.core import documents
from escalon.core.calendar import Calendar, CalendarError
from escalon.core.organisations import Organisations, OrganisationsInvalid, read_organisations
from escalon.core.policy import Policy, parse_policy
from escalon.core.policy.source import Problem
from escalon.core.roster import (
    SUFFIXES,
    KnownNames,
    Roster,
    RosterInvalid,
    RosterProblem,
    StaffRoster,
    parse_roster,
    staff_roster,
)


def read_policy(path: str | Path) -> str:
    """The text of a policy file."""
    return Path(path).read_text(encoding="utf-8")


def load_policy(path: str | Path) -> Policy:
    """Read, check and compile a policy file."""
    return parse_policy(read_policy(path), str(path))


def load_calendar(path: str | Path, *, name: str | None = None) -> Calendar:
    """One calendar from a YAML file, or `name` from a file's `calendars:`."""
    file = Path(path)
    most = documents.CALENDAR.max_bytes
    try:
        if file.stat().st_size > most:
            raise CalendarError(f"{file}: is larger than {most:,} bytes (size limit)")
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalendarError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    return Calendar.from_yaml_text(text, str(file), name=name, default_name=file.stem)


def load_organisations(path: str | Path) -> Organisations:
    """A replay's organisations file (YAML or JSON); OrganisationsInvalid when it is unsound."""
    file = Path(path)
    most = documents.POLICY.max_bytes
    try:
        if file.stat().st_size > most:
            problem = f"is larger than {most:,} bytes (size limit)"
            raise OrganisationsInvalid([Problem(str(file), None, "", problem)])
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = f"cannot read: {getattr(error, 'strerror', None) or error}"
        raise OrganisationsInvalid([Problem(str(file), None, "", problem)]) from None
    return read_organisations(text, str(file))


def read_roster(path: str | Path) -> str:
    """The text of a roster file; RosterInvalid when it cannot be read."""
    file = Path(path)
    source = str(path)
    if file.suffix.lower() not in SUFFIXES:
        _refuse(source, "a roster file ends in .yaml, .yml, .json or .csv")
    try:
        size, most = file.stat().st_size, documents.ROSTER.max_bytes
        if size > most:
            _refuse(source, f"the roster is {size:,} bytes; at most {most:,} are read (size limit)")
        return file.read_text(encoding="utf-8-sig")
    except OSError as error:
        _refuse(source, f"cannot read the roster: {error.strerror or error}")
    except UnicodeDecodeError:
        _refuse(source, "cannot read the roster: it is not UTF-8 text")


def _refuse(source: str, problem: str) -> Never:
    raise RosterInvalid(source, [RosterProblem(problem, source=source)]) from None


def load_roster(
    path: str | Path, *, names: KnownNames | None = None, self_contained: bool = False
) -> Roster:
    """Read and check a roster file (.yaml, .yml, .json or .csv); see `core.roster.parse_roster`."""
    return parse_roster(
        read_roster(path),
        str(path),
        kind=Path(path).suffix.lower(),
        names=names,
        self_contained=self_contained,
    )


def load_staff_roster(path: str | Path) -> StaffRoster:
    """A replay's staffing from a roster file, which must name every team and person it uses."""
    return staff_roster(load_roster(path, self_contained=True))
