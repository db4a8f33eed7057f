"""Roster files: teams, agents and on-call rotations in one document, read and checked once.

A roster is YAML (or JSON) with `teams:` and `agents:`, or a CSV of agents, one a row. Every
problem is reported at once with the file, the line and the field path (`agents[3].capacity`).
The checked `Roster` is what an import writes to the database (`escalon.people.roster`) and,
compiled by `staff_roster`, the staffing a replay runs with. See docs/people.md.
"""

from __future__ import annotations

from escalon.core.roster.checking import KnownNames, check_data
from escalon.core.roster.reading import SUFFIXES, read_text
from escalon.core.roster.schema import Roster, RosterInvalid, RosterProblem, Where
from escalon.core.roster.staff import StaffRoster, staff_roster


def parse_roster(
    text: str,
    source: str,
    *,
    kind: str = ".yaml",
    names: KnownNames | None = None,
    self_contained: bool = False,
) -> Roster:
    """Read and check a roster's text (`kind`: the file's suffix); RosterInvalid lists every
    problem, sorted by line.

    With `names`, the levels and teams it gives are checked against the active policy and the
    stored teams too; `self_contained`, every team and person it refers to must be in it.
    """
    data, lines, problems = read_text(text, source, kind)
    roster, found = check_data(
        data, Where(source, lines), names=names, self_contained=self_contained
    )
    problems.extend(found)
    if problems:
        located = [
            RosterProblem(problem.problem, problem.field, problem.line, problem.source or source)
            for problem in problems
        ]
        # By line in a file; in the order found otherwise (the sort is stable).
        raise RosterInvalid(source, sorted(located, key=lambda problem: problem.line or 0))
    assert roster is not None
    return roster


__all__ = [
    "SUFFIXES",
    "KnownNames",
    "Roster",
    "RosterInvalid",
    "RosterProblem",
    "StaffRoster",
    "parse_roster",
    "staff_roster",
]
