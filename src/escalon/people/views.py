"""HTTP endpoints for teams and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from escalon.auth.access import Admin, Context, Staff
from escalon.core.roster import Roster
from escalon.core.state import from_us, to_us
from escalon.errors import CREATES, Forbidden, error_responses
from escalon.people import service
from escalon.people.models import Agent, Team
from escalon.people.roster import ImportReport, import_roster
from escalon.people.schemas import (
    AgentIn,
    AgentOut,
    AgentPatch,
    OnCallOut,
    RotationIn,
    ShiftOut,
    TeamIn,
    TeamOut,
    TeamPatch,
)
from escalon.request_params import DateTime

router = APIRouter(prefix="/api/v1")
Name = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/teams", tags=["people"], responses=error_responses(401, 403))
def list_teams(context: Staff) -> list[TeamOut]:
    """Every team with its members."""
    with context.db.read() as session:
        return [
            service.team_out(team) for team in session.scalars(select(Team).order_by(Team.name))
        ]


@router.post("/teams", tags=["people"], **CREATES)
def create_team(body: TeamIn, context: Admin) -> TeamOut:
    """Add a team."""
    with context.db.write() as session:
        team = service.create_team(session, data=body, now=context.now())
        context.audit(session, "team.created", f"team:{team.name}", body.model_dump(mode="json"))
        return service.team_out(team)


@router.get("/teams/{name}", tags=["people"], responses=error_responses(401, 403, 404, 422))
def get_team(name: Name, context: Staff) -> TeamOut:
    """One team."""
    with context.db.read() as session:
        return service.team_out(service.team_by_name(session, name))


@router.patch("/teams/{name}", tags=["people"], responses=error_responses(400, 401, 403, 404, 422))
def update_team(name: Name, body: TeamPatch, context: Admin) -> TeamOut:
    """Change a team's description or how it assigns its cases."""
    with context.db.write() as session:
        team = service.update_team(session, name=name, data=body)
        context.audit(session, "team.updated", f"team:{name}", service.changed_fields(body))
        return service.team_out(team)


@router.get("/agents", tags=["people"], responses=error_responses(401, 403))
def list_agents(context: Staff) -> list[AgentOut]:
    """Every agent."""
    with context.db.read() as session:
        agents = session.scalars(select(Agent).order_by(Agent.handle))
        return [service.agent_out(agent) for agent in agents]


@router.post("/agents", tags=["people"], **CREATES)
def create_agent(body: AgentIn, context: Admin) -> AgentOut:
    """Add an agent."""
    with context.db.write() as session:
        agent = service.create_agent(session, data=body, now=context.now())
        context.audit(
            session, "agent.created", f"agent:{agent.handle}", body.model_dump(mode="json")
        )
        return service.agent_out(agent)


@router.get("/agents/{handle}", tags=["people"], responses=error_responses(401, 403, 404, 422))
def get_agent(handle: Name, context: Staff) -> AgentOut:
    """One agent."""
    with context.db.read() as session:
        return service.agent_out(service.agent_by_handle(session, handle))


@router.patch(
    "/agents/{handle}", tags=["people"], responses=error_responses(400, 401, 403, 404, 422)
)
def update_agent(handle: Name, body: AgentPatch, context: Admin) -> AgentOut:
    """Change an agent (the authority, level, teams and active state of the agent you act as
    are another admin's to change)."""
    _not_own_authority(context, handle, body.model_fields_set)
    with context.db.write() as session:
        agent = service.update_agent(session, handle=handle, data=body, now=context.now())
        context.audit(session, "agent.updated", f"agent:{handle}", service.changed_fields(body))
        return service.agent_out(agent)


@router.put(
    "/teams/{name}/rotation",
    tags=["people"],
    responses=error_responses(400, 401, 403, 404, 422),
)
def set_rotation(name: Name, body: RotationIn, context: Admin) -> TeamOut:
    """Set the team's on-call rotation (checked whole; every problem named by field)."""
    with context.db.write() as session:
        team = service.team_by_name(session, name)
        updated = service.set_rotation(session, team=team, data=body)
        context.audit(session, "rotation.set", f"team:{name}", body.model_dump(mode="json"))
        return service.team_out(updated)


@router.delete(
    "/teams/{name}/rotation", tags=["people"], responses=error_responses(401, 403, 404, 422)
)
def clear_rotation(name: Name, context: Admin) -> TeamOut:
    """Remove the team's on-call rotation: nobody is on call for it any more."""
    with context.db.write() as session:
        team = service.team_by_name(session, name)
        cleared = service.clear_rotation(session, team=team)
        context.audit(session, "rotation.cleared", f"team:{name}")
        return service.team_out(cleared)


@router.get("/teams/{name}/on-call", tags=["people"], responses=error_responses(401, 403, 404, 422))
def on_call(name: Name, context: Staff, at: DateTime | None = None) -> OnCallOut:
    """Who is on call for the team at `at` (default: now)."""
    moment = _instant(at, context.now())
    with context.db.read() as session:
        team = service.team_by_name(session, name)
        found = (
            None if team.rotation is None else service.compile_rotation(team.rotation).who(moment)
        )
    return OnCallOut(
        team=name,
        at=from_us(moment),
        person=None if found is None else found[0],
        source=None if found is None else found[1],
    )


@router.get("/teams/{name}/shifts", tags=["people"], responses=error_responses(401, 403, 404, 422))
def shifts(
    name: Name,
    context: Staff,
    start: DateTime | None = None,
    count: Annotated[int, Query(ge=1, le=200)] = 10,
) -> list[ShiftOut]:
    """The team's next on-call shifts from `start` (default: now), the current one first."""
    moment = _instant(start, context.now())
    with context.db.read() as session:
        team = service.team_by_name(session, name)
        if team.rotation is None:
            return []
        upcoming = service.compile_rotation(team.rotation).next_shifts(moment, count)
    return [
        ShiftOut(person=s.person, source=s.source, start=from_us(s.start), end=from_us(s.end))
        for s in upcoming
    ]


@router.post("/roster", tags=["people"], responses=error_responses(400, 401, 403, 409, 422))
def post_roster(
    body: Roster,
    context: Admin,
    dry_run: Annotated[bool, Query(description="Check and report; write nothing.")] = False,
) -> ImportReport:
    """Create and update teams, agents and rotations from a roster, all or nothing: any problem
    is a 422 naming each one by field, and nothing is written (see docs/people.md)."""
    session_of = context.db.read if dry_run else context.db.write
    with session_of() as session:
        report = import_roster(session, body, now=context.now(), dry_run=dry_run)
        for item in report.agents:  # raising here rolls the whole import back
            _not_own_authority(context, item.name, set(item.changed))
        if not dry_run:
            context.audit(session, "roster.imported", "roster", report.model_dump(mode="json"))
        return report


# What gives a person authority to grant money (escalon.cases.authority): nobody changes their own.
AUTHORITY_FIELDS = frozenset({"authority", "level", "teams", "active"})


def _not_own_authority(context: Context, handle: str, fields: set[str]) -> None:
    """403 when an admin would change what gives the agent they act as its authority."""
    own = context.principal.agent
    touched = sorted(AUTHORITY_FIELDS & fields)
    if own is not None and own == handle and touched:
        raise Forbidden(
            f"you act as agent {handle!r}: another admin must change its {', '.join(touched)} "
            "(nobody raises their own authority to grant money)"
        )


def _instant(moment: datetime | None, default: int) -> int:
    # DateTime has checked the offset and the years (1900 to 2999): every answer fits.
    return default if moment is None else to_us(moment)
