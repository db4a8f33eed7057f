"""HTTP endpoints for teams and agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select

from escalon.api.deps import Admin, Reader
from escalon.api.errors import error_responses
from escalon.people import service
from escalon.people.models import Agent, Team
from escalon.people.schemas import AgentIn, AgentOut, AgentPatch, TeamIn, TeamOut

router = APIRouter(prefix="/api/v1")
Name = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/teams", tags=["people"], responses=error_responses(401, 403))
def list_teams(context: Reader) -> list[TeamOut]:
    """Every team with its members."""
    with context.db.read() as session:
        return [
            service.team_out(team) for team in session.scalars(select(Team).order_by(Team.name))
        ]


@router.post(
    "/teams",
    status_code=status.HTTP_201_CREATED,
    tags=["people"],
    responses=error_responses(400, 401, 403, 409, 422),
)
def create_team(body: TeamIn, context: Admin) -> TeamOut:
    """Add a team."""
    with context.db.write() as session:
        return service.team_out(service.create_team(session, data=body, now=context.now()))


@router.get("/teams/{name}", tags=["people"], responses=error_responses(401, 403, 404, 422))
def get_team(name: Name, context: Reader) -> TeamOut:
    """One team."""
    with context.db.read() as session:
        return service.team_out(service.team_by_name(session, name))


@router.get("/agents", tags=["people"], responses=error_responses(401, 403))
def list_agents(context: Reader) -> list[AgentOut]:
    """Every agent."""
    with context.db.read() as session:
        agents = session.scalars(select(Agent).order_by(Agent.handle))
        return [service.agent_out(agent) for agent in agents]


@router.post(
    "/agents",
    status_code=status.HTTP_201_CREATED,
    tags=["people"],
    responses=error_responses(400, 401, 403, 409, 422),
)
def create_agent(body: AgentIn, context: Admin) -> AgentOut:
    """Add an agent."""
    with context.db.write() as session:
        return service.agent_out(service.create_agent(session, data=body, now=context.now()))


@router.get("/agents/{handle}", tags=["people"], responses=error_responses(401, 403, 404, 422))
def get_agent(handle: Name, context: Reader) -> AgentOut:
    """One agent."""
    with context.db.read() as session:
        return service.agent_out(service.agent_by_handle(session, handle))


@router.patch(
    "/agents/{handle}", tags=["people"], responses=error_responses(400, 401, 403, 404, 422)
)
def update_agent(handle: Name, body: AgentPatch, context: Admin) -> AgentOut:
    """Change an agent."""
    with context.db.write() as session:
        return service.agent_out(service.update_agent(session, handle=handle, data=body))
