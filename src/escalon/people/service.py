"""Teams and agents: create, change and read them."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.core.calendar import Calendar, CalendarError
from escalon.core.rotations import Rotation, RotationError, rotation_from_dict
from escalon.errors import Conflict, Detail, Invalid, found
from escalon.outputs import from_row
from escalon.people import staffing
from escalon.people.models import Agent, Team
from escalon.people.schemas import (
    AgentIn,
    AgentOut,
    AgentPatch,
    RotationIn,
    TeamIn,
    TeamOut,
    TeamPatch,
)


def team_out(team: Team) -> TeamOut:
    """A team as the API shows it."""
    return from_row(TeamOut, team, members=[agent.handle for agent in team.members])


def agent_out(agent: Agent) -> AgentOut:
    """An agent as the API shows it."""
    return from_row(
        AgentOut,
        agent,
        teams=[team.name for team in agent.teams],
        skills=list(agent.skills or []),
        languages=list(agent.languages or []),
    )


def create_team(session: Session, *, data: TeamIn, now: int) -> Team:
    """Add a team (Conflict if the name is taken)."""
    if session.scalar(select(Team.id).where(Team.name == data.name)) is not None:
        raise Conflict(f"a team named {data.name!r} already exists")
    team = Team(
        name=data.name,
        description=data.description,
        assignment=data.assignment,
        support_address=data.support_address,
        created_at=now,
    )
    session.add(team)
    _written(session)
    return team


def changed_fields(patch: TeamPatch | AgentPatch) -> dict[str, Any]:
    """What an update of a team or agent records in the admin audit trail: the fields it sets."""
    return patch.model_dump(mode="json", exclude_unset=True)


def update_team(session: Session, *, name: str, data: TeamPatch) -> Team:
    """Change a team's description or assignment strategy (null assignment: queue only)."""
    team = team_by_name(session, name)
    if "description" in data.model_fields_set:
        if data.description is None:
            raise Invalid("description cannot be null")
        team.description = data.description
    if "assignment" in data.model_fields_set:
        team.assignment = data.assignment
    if "support_address" in data.model_fields_set:
        team.support_address = data.support_address
    _written(session)
    return team


def _written(session: Session) -> None:
    """Write a change of teams or agents; the staffing read before it is read again."""
    staffing.forget(session)
    session.flush()


def team_by_name(session: Session, name: str) -> Team:
    """A team by name; NotFound otherwise."""
    team = session.scalars(select(Team).where(Team.name == name)).first()
    return found(team, f"no team is named {name!r}")


def _teams(session: Session, names: list[str]) -> list[Team]:
    # In name order, as the relationship loads them: the answer must not depend on the database.
    teams = list(session.scalars(select(Team).where(Team.name.in_(names)).order_by(Team.name)))
    missing = sorted(set(names) - {team.name for team in teams})
    if missing:
        raise Invalid(f"unknown team(s): {', '.join(missing)} (create them first)")
    return teams


def create_agent(session: Session, *, data: AgentIn, now: int) -> Agent:
    """Add an agent (Conflict if the handle is taken)."""
    if session.scalar(select(Agent.id).where(Agent.handle == data.handle)) is not None:
        raise Conflict(f"an agent with handle {data.handle!r} already exists")
    working_hours(data.timezone, data.working_hours)
    agent = Agent(
        **data.model_dump(exclude={"teams", "skills", "languages"}),
        # Each skill and language once, in the order first given.
        skills=list(dict.fromkeys(data.skills)),
        languages=list(dict.fromkeys(data.languages)),
        active=True,
        created_at=now,
    )
    agent.teams = _teams(session, list(dict.fromkeys(data.teams)))
    session.add(agent)
    _written(session)
    return agent


def agent_by_handle(session: Session, handle: str) -> Agent:
    """An agent by handle; NotFound otherwise."""
    agent = session.scalars(select(Agent).where(Agent.handle == handle)).first()
    return found(agent, f"no agent has the handle {handle!r}")


# Changes that may let someone take more cases: their teams' waiting cases are looked at.
MAY_FREE = frozenset({"status", "capacity", "working_hours", "timezone", "teams", "active"})


def update_agent(session: Session, *, handle: str, data: AgentPatch, now: int) -> Agent:
    """Change an agent's fields (teams replaces the memberships)."""
    agent = agent_by_handle(session, handle)
    for name in data.model_fields_set - {"teams"}:
        value = getattr(data, name)
        if value is None and name in (
            "name",
            "capacity",
            "status",
            "active",
            "skills",
            "languages",
            "timezone",
        ):
            raise Invalid(f"{name} cannot be null")
        setattr(agent, name, value)
    if {"timezone", "working_hours"} & data.model_fields_set:
        working_hours(agent.timezone, agent.working_hours)
    if "teams" in data.model_fields_set:
        agent.teams = _teams(session, list(dict.fromkeys(data.teams or [])))
    _written(session)
    if MAY_FREE & data.model_fields_set:
        staffing.may_take_more(session, handles=[agent.handle], now=now)
    return agent


def working_hours(timezone: str, hours: Any) -> Calendar | None:
    """An agent's working hours as a calendar (None: always working); Invalid says what is wrong."""
    try:
        return Calendar.from_dict(
            {"timezone": timezone, "hours": "always" if hours is None else hours},
            name="working hours",
        )
    except CalendarError as error:
        details = [
            Detail(
                why, field=f"body.{where.replace('hours', 'working_hours', 1)}" if where else None
            )
            for where, why in error.problems
        ] or [Detail(str(error))]
        raise Invalid(f"the working hours cannot be read: {details[0].problem}", details) from None


def clear_rotation(session: Session, *, team: Team) -> Team:
    """Remove a team's on-call rotation: nobody is on call for it any more."""
    team.rotation = None
    _written(session)
    return team


def set_rotation(session: Session, *, team: Team, data: RotationIn) -> Team:
    """Store a team's on-call rotation after checking it and that everyone in it is an agent."""
    raw = data.model_dump()
    rotation = compile_rotation(raw)
    people = {member for layer in rotation.layers for member in layer.members}
    people |= {override.person for override in rotation.overrides}
    known = set(session.scalars(select(Agent.handle).where(Agent.handle.in_(people))))
    unknown = sorted(people - known)
    if unknown:
        raise Invalid(
            f"not agents: {', '.join(unknown)} (add them first)",
            [Detail(f"{handle!r} is not an agent", field="body") for handle in unknown],
        )
    team.rotation = raw
    _written(session)
    return team


def compile_rotation(raw: dict[str, Any]) -> Rotation:
    """A stored or uploaded rotation mapping, checked; Invalid lists every problem by field."""
    try:
        return rotation_from_dict(raw, path="body")
    except RotationError as error:
        raise Invalid(
            f"the rotation has {len(error.problems)} problem(s): {error.problems[0][1]}",
            [Detail(why, field=where) for where, why in error.problems],
        ) from None


def zone_of(session: Session, handle: str | None) -> ZoneInfo | None:
    """An agent's own time zone (None without an agent, or with a zone this machine lacks)."""
    if handle is None:
        return None
    name = session.scalar(select(Agent.timezone).where(Agent.handle == handle))
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
