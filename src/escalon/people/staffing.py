"""The roster as the engine sees it, read from the database a team at a time.

One `Staffing` serves one transaction: the engine asks about the teams it touches, each is read
once (members, rotation, strategy and everyone's open cases), and `save` writes back what the
transaction's choices moved (each team's round-robin pointer).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from escalon.cases.models import Case
from escalon.core.assignment import Candidate
from escalon.core.calendar import Calendar, CalendarError
from escalon.core.rotations import Rotation, RotationError, rotation_from_dict
from escalon.core.staffing import Staffing, TeamStaff
from escalon.people.models import Agent, Team, team_members

OPEN_STATUSES = ("open", "pending_customer", "on_hold")


def staffing(session: Session) -> Staffing:
    """A staffing that reads each team from this session on first use."""
    return Staffing(lambda name: load_team(session, name))


def load_team(session: Session, name: str) -> TeamStaff | None:
    """A team with its active members, their open cases, its rotation and strategy."""
    team = session.execute(
        select(Team.id, Team.rotation, Team.assignment, Team.last_assignee).where(Team.name == name)
    ).first()
    if team is None:
        return None
    team_id, rotation, strategy, last = team
    rows = session.execute(
        select(
            Agent.handle,
            Agent.status,
            Agent.capacity,
            Agent.skills,
            Agent.languages,
            Agent.timezone,
            Agent.working_hours,
        )
        .join(team_members, team_members.c.agent_id == Agent.id)
        .where(team_members.c.team_id == team_id, Agent.active)
        .order_by(Agent.handle)
    ).all()
    handles = [row[0] for row in rows]
    load: dict[str, int] = {}
    if handles:
        counted = session.execute(
            select(Case.assignee, func.count())
            .where(Case.assignee.in_(handles), Case.status.in_(OPEN_STATUSES))
            .group_by(Case.assignee)
        ).all()
        load = {str(handle): int(count) for handle, count in counted}
    members = [
        Candidate(
            handle=handle,
            status=status,
            capacity=capacity,
            open_cases=load.get(handle, 0),
            skills=frozenset(skills or ()),
            languages=frozenset(languages or ()),
            working_hours=_hours(timezone, _frozen(hours)),
        )
        for handle, status, capacity, skills, languages, timezone, hours in rows
    ]
    return TeamStaff(name, members, _rotation(rotation), strategy, last)


def save(session: Session, staffing: Staffing) -> None:
    """Write back each team's round-robin pointer where this transaction's choices moved it."""
    for team in staffing.teams():
        if team.strategy == "round_robin" or team.last is not None:
            session.execute(
                update(Team)
                .where(Team.name == team.name, Team.last_assignee.is_distinct_from(team.last))
                .values(last_assignee=team.last)
                .execution_options(synchronize_session=False)
            )


def _frozen(hours: Any) -> Any:
    """Working hours in a hashable shape, so equal ones share one compiled calendar."""
    if isinstance(hours, dict):
        return tuple((day, tuple(spans)) for day, spans in sorted(hours.items()))
    return hours


@lru_cache(maxsize=1024)
def _hours(timezone: str, hours: Any) -> Calendar | None:
    if hours is None or hours == "always":
        return None
    raw = {day: list(spans) for day, spans in hours} if isinstance(hours, tuple) else hours
    try:
        return Calendar.from_dict({"timezone": timezone, "hours": raw}, name="working hours")
    except CalendarError:
        return None  # checked when stored; an unreadable one now means always working


def _rotation(raw: dict[str, Any] | None) -> Rotation | None:
    if raw is None:
        return None
    return _compiled_rotation(json.dumps(raw, sort_keys=True))


@lru_cache(maxsize=256)
def _compiled_rotation(key: str) -> Rotation | None:
    try:
        return rotation_from_dict(json.loads(key))
    except RotationError:
        return None  # checked when stored
