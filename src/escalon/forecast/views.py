"""HTTP endpoint for the staffing forecast (supervisors and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from escalon.auth.access import Supervisor
from escalon.core.state import from_us
from escalon.errors import error_responses
from escalon.forecast.staffing import DEFAULT_WEEKS, TeamStaffing, forecast, staffing_goal
from escalon.policies import service as policies

router = APIRouter(prefix="/api/v1", tags=["forecast"])


class HourOut(BaseModel):
    """One hour of the coming week."""

    start: datetime
    arrivals: float = Field(description="cases expected (mean of this hour of the week)")
    needed: int = Field(description="people to roster, shrinkage included")
    rostered: int = Field(description="the team's people whose working hours are open then")
    short: int
    service_level: float = Field(description="share answered within the target by the roster")


class TeamStaffingOut(BaseModel):
    """One team's coming week against what its history says it needs."""

    team: str
    people: int
    handle_seconds: float
    handle_measured_cases: int = Field(
        description="cases whose recorded time gave the handle time; 0: the assumed one"
    )
    understaffed_hours: int
    hours: list[HourOut]


class StaffingOut(BaseModel):
    """The forecast and the goal it was sized for."""

    target_seconds: float
    goal: float
    shrinkage: float
    max_occupancy: float
    weeks: int
    teams: list[TeamStaffingOut]


@router.get("/forecast/staffing", responses=error_responses(401, 403, 422))
def staffing_forecast(
    context: Supervisor,
    target: Annotated[
        str | None,
        Query(
            max_length=20,
            description="answered within this, e.g. 1h (default: the "
            "policy's catch-all first-response target)",
        ),
    ] = None,
    goal: Annotated[
        str | None, Query(max_length=20, description="share within the target (default 80%)")
    ] = None,
    shrinkage: Annotated[
        str | None,
        Query(max_length=20, description="share of rostered time away from the queue (30%)"),
    ] = None,
    occupancy: Annotated[
        str | None, Query(max_length=20, description="busiest an agent may be (default 85%)")
    ] = None,
    weeks: Annotated[
        int, Query(ge=1, le=52, description="weeks of history to read")
    ] = DEFAULT_WEEKS,
) -> StaffingOut:
    """Per team and hour of the next 7 days: people needed for the goal (Erlang C on the
    arrivals and handle times of the last weeks) against people rostered."""
    with context.db.read() as session:
        wanted = staffing_goal(
            policies.active(session),
            target=target,
            goal=goal,
            shrinkage=shrinkage,
            occupancy=occupancy,
        )
        scope = context.scope(session)
        found = forecast(
            session,
            now_us=context.now(),
            goal=wanted,
            weeks=weeks,
            teams=None if scope.everything else scope.teams,
        )
    return StaffingOut(
        target_seconds=wanted.target_seconds,
        goal=wanted.goal,
        shrinkage=wanted.shrinkage,
        max_occupancy=wanted.max_occupancy,
        weeks=weeks,
        teams=[_team_out(team) for team in found],
    )


def _team_out(team: TeamStaffing) -> TeamStaffingOut:
    return TeamStaffingOut(
        team=team.team,
        people=team.people,
        handle_seconds=round(team.demand.handle_seconds, 1),
        handle_measured_cases=team.demand.measured_cases,
        understaffed_hours=len(team.understaffed),
        hours=[
            HourOut(
                start=from_us(hour.start_us),
                arrivals=round(hour.arrivals, 3),
                needed=hour.needed,
                rostered=hour.rostered,
                short=hour.short,
                service_level=round(hour.service_level, 4),
            )
            for hour in team.hours
        ],
    )
