"""Roster imports: a checked roster's teams, agents and rotations written, all or nothing.

Reading and checking a roster file is `escalon.core.roster`'s; here its names are checked
against the database (stored teams and agents, the active policy), and an import creates what is
new, updates what differs (only the fields the file gives) and says what it left unchanged; see
docs/people.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path as FilePath
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalon import files
from escalon.core.policy.source import Path
from escalon.core.roster import KnownNames, Roster, RosterInvalid, RosterProblem
from escalon.core.roster.checking import check_entries, rotation_strangers
from escalon.core.roster.plan import ImportPlan, Outcome, plan_import
from escalon.core.roster.schema import RotationIn, TeamEntry, summary
from escalon.errors import Detail, Invalid
from escalon.people import service
from escalon.people.models import Agent, Team
from escalon.people.schemas import AgentIn, AgentPatch, TeamPatch
from escalon.policies import service as policy_service


class RosterError(Invalid):
    """A roster with problems; `details` names each one (file, line, field path, problem)."""

    def __init__(self, invalid: RosterInvalid) -> None:
        super().__init__(invalid.message, _details(invalid.problems))


def _details(problems: list[RosterProblem]) -> list[Detail]:
    return [Detail(p.problem, field=p.field, line=p.line, source=p.source) for p in problems]


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


def load_roster(path: str | FilePath, *, names: KnownNames | None = None) -> Roster:
    """Read and check a roster file (.yaml, .yml, .json or .csv); RosterError lists every problem.

    With `names` (known_names), the levels and teams the file gives are checked against the
    active policy and the stored teams too, so one run reports them with the file's other
    problems. `import_roster` checks them (and the people rotations name) again.
    """
    try:
        return files.load_roster(path, names=names)
    except RosterInvalid as error:
        raise RosterError(error) from None


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


# -- importing ----------------------------------------------------------------------------------


def import_roster(
    session: Session, roster: Roster, *, now: int, dry_run: bool = False
) -> ImportReport:
    """Create and update the roster's teams, agents and rotations, all or nothing.

    Everything is checked before anything is written: any problem raises Invalid with one
    Detail each, and nothing changes. Only the fields an entry gives are set; an agent that
    lists `teams` gets exactly those memberships. A dry run answers the same report and writes
    nothing.
    """
    problems = check_entries(roster, known_names(session))
    problems.extend(_people_in_rotations(session, roster))
    if problems:
        # By line in a file; in the order found otherwise (the sort is stable).
        problems.sort(key=lambda problem: problem.line or 0)
        raise Invalid(summary(None, problems), _details(problems))
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


def _people_in_rotations(session: Session, roster: Roster) -> list[RosterProblem]:
    """People the roster's rotations name that are neither in it nor in the database."""
    in_file = {agent.handle for agent in roster.agents}
    people: dict[str, list[Path]] = {}
    for person, path in rotation_strangers(enumerate(roster.teams), in_file):
        people.setdefault(person, []).append(path)
    unknown = set(people) - _existing(session, Agent.handle, set(people))
    return [
        roster.locate(path, f"{person!r} is not an agent, in the roster or in the database")
        for person in sorted(unknown, key=lambda name: people[name][0])
        for path in people[person]
    ]


def _existing(session: Session, column: Any, names: set[str]) -> set[str]:
    if not names:
        return set()
    return set(session.scalars(select(column).where(column.in_(sorted(names)))))


def _plan(session: Session, roster: Roster) -> ImportPlan:
    """The import's plan against the stored teams and agents the roster names."""
    names = [team.name for team in roster.teams]
    teams = {
        team.name: _fields(team, TeamEntry.model_fields)
        for team in session.scalars(select(Team).where(Team.name.in_(names)))
    }
    handles = [agent.handle for agent in roster.agents]
    query = select(Agent).where(Agent.handle.in_(handles)).options(selectinload(Agent.teams))
    agents = {
        agent.handle: {
            **_fields(agent, AgentIn.model_fields.keys() - {"teams"}),
            "teams": [team.name for team in agent.teams],
        }
        for agent in session.scalars(query)
    }
    return plan_import(roster, teams=teams, agents=agents)


def _fields(row: Team | Agent, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _apply(session: Session, plan: ImportPlan, now: int) -> None:
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
