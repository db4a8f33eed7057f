"""The roster as the engine sees it, read from the database a team at a time.

One `Staffing` serves one transaction: the engine asks about the teams it touches and each is
read once. A team's make-up (members, their profiles, rotation, strategy) changes rarely and is
kept for `roster_cache_seconds` in the `TeamMakeUps` the composition root puts in the
database's session info (changes made through this process are seen at once); what changes with every case, everyone's open cases and the round robin's turn, is read
fresh. Open cases are a count on each agent that every case write keeps (`count_open_cases`), so
reading them costs the same however many cases there are. `save` writes back the turn where the
transaction's choices moved it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from escalon.core.assignment import Candidate
from escalon.core.rotations import Rotation
from escalon.core.staffing import Staffing, TeamStaff, member, rotation_of
from escalon.database.base import table_of
from escalon.people.models import Agent, Team, team_members

_TEAMS = table_of(Team)

# Built once: building a statement costs more than running these small ones.
# What changes case by case: everyone's open cases, and (on every row) the round robin's turn.
_FRESH = (
    select(
        Agent.handle,
        Agent.open_cases,
        select(_TEAMS.c.last_assignee).where(_TEAMS.c.id == bindparam("team_id")).scalar_subquery(),
    )
    .join(team_members, team_members.c.agent_id == Agent.id)
    .where(team_members.c.team_id == bindparam("team_id"), Agent.active)
)
_SAVE_TURN = (
    update(_TEAMS)
    .where(_TEAMS.c.id == bindparam("team_id"))
    .values(last_assignee=bindparam("last"))
)
_AGENTS = table_of(Agent)
_COUNT = (
    update(_AGENTS)
    .where(_AGENTS.c.handle == bindparam("who"))
    .values(open_cases=_AGENTS.c.open_cases + bindparam("by"))
)
_TEAM = select(Team.id, Team.rotation, Team.assignment).where(Team.name == bindparam("name"))
_MEMBERS = (
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
    .where(team_members.c.team_id == bindparam("team_id"), Agent.active)
    .order_by(Agent.handle)
)


@dataclass(frozen=True, slots=True)
class _MakeUp:
    """What a team is made of, without anything that changes case by case."""

    team_id: int
    members: tuple[Candidate, ...]
    rotation: Rotation | None
    strategy: str | None


class TeamMakeUps:
    """Team make-ups read from one database, each trusted for a while (0 seconds: read every
    time). The composition root puts one in the database's `Session.info`; a session without
    one reads every time."""

    KEY = "escalon.team_make_ups"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.teams: dict[str, tuple[float, _MakeUp | None]] = {}

    def install(self, info: dict[str, Any]) -> None:
        """Keep team make-ups for the sessions `info` is copied into."""
        info[self.KEY] = self


def _make_ups(session: Session) -> TeamMakeUps | None:
    found = session.info.get(TeamMakeUps.KEY)
    return found if isinstance(found, TeamMakeUps) else None


def forget(session: Session) -> None:
    """Drop every cached team make-up: teams or agents were just changed in this session.

    Again once it commits, so a make-up another request read in between, from before the
    change, is not kept either.
    """
    cache = _make_ups(session)
    if cache is None:
        return
    cache.teams.clear()
    if not event.contains(session, "after_commit", _forget_after):
        event.listen(session, "after_commit", _forget_after)


def _forget_after(session: Session) -> None:
    cache = _make_ups(session)
    if cache is not None:
        cache.teams.clear()


class _Loader:
    """Reads teams for one transaction and remembers the round robin's turn as read."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.turns: dict[str, tuple[int, str | None]] = {}

    def __call__(self, name: str) -> TeamStaff | None:
        make_up = _make_up(self.session, name)
        if make_up is None:
            return None
        members = list(make_up.members)
        last = None
        if members:
            fresh = self.session.connection().execute(_FRESH, {"team_id": make_up.team_id}).all()
            counts = {handle: count for handle, count, _turn in fresh}
            last = fresh[0][2] if fresh else None
            members = [
                replace(person, open_cases=counts[person.handle])
                if counts.get(person.handle)
                else person
                for person in members
            ]
        self.turns[name] = (make_up.team_id, last)
        return TeamStaff(name, members, make_up.rotation, make_up.strategy, last)


def staffing(session: Session) -> Staffing:
    """A staffing that reads each team from this session on first use."""
    return Staffing(_Loader(session))


def save(session: Session, crew: Staffing) -> None:
    """Write back each round robin's turn where this transaction's choices moved it."""
    loader = crew.load
    if not isinstance(loader, _Loader):
        return
    for team in crew.teams():
        read = loader.turns.get(team.name)
        if read is not None and read[1] != team.last:
            session.connection().execute(_SAVE_TURN, {"team_id": read[0], "last": team.last})


def count_open_cases(session: Session, changes: dict[str, int]) -> None:
    """Move agents' open-case counts by the given amounts (in handle order: no deadlocks)."""
    rows = [{"who": handle, "by": by} for handle, by in sorted(changes.items()) if by]
    if rows:
        session.connection().execute(_COUNT, rows)


def _make_up(session: Session, name: str) -> _MakeUp | None:
    cache = _make_ups(session)
    if cache is None or cache.seconds <= 0:
        return _read_make_up(session, name)
    now = time.monotonic()
    cached = cache.teams.get(name)
    if cached is not None and cached[0] > now:
        return cached[1]
    make_up = _read_make_up(session, name)
    cache.teams[name] = (now + cache.seconds, make_up)
    return make_up


def _read_make_up(session: Session, name: str) -> _MakeUp | None:
    connection = session.connection()
    team = connection.execute(_TEAM, {"name": name}).first()
    if team is None:
        return None
    team_id, rotation, strategy = team
    rows = connection.execute(_MEMBERS, {"team_id": team_id}).all()
    members = tuple(
        member(
            handle=handle,
            status=status,
            capacity=capacity,
            skills=skills,
            languages=languages,
            timezone=timezone,
            working_hours=hours,
        )
        for handle, status, capacity, skills, languages, timezone, hours in rows
    )
    return _MakeUp(team_id, members, rotation_of(rotation), strategy)


# -- handing out waiting cases -----------------------------------------------------------------

_MEMBER_TEAMS = (
    select(team_members.c.team_id)
    .join(Agent, Agent.id == team_members.c.agent_id)
    .where(Agent.handle.in_(bindparam("handles", expanding=True)))
)


def may_take_more(session: Session, *, handles: list[str], now: int) -> None:
    """These people freed capacity or became available: their teams' waiting cases are due to
    be handed out now (teams that hand out cases by a strategy only)."""
    if handles:
        session.connection().execute(
            update(_TEAMS)
            .where(_TEAMS.c.assignment.isnot(None), _TEAMS.c.id.in_(_MEMBER_TEAMS))
            .values(handout_at=bindparam("now")),
            {"handles": sorted(handles), "now": now},
        )


def cases_wait(session: Session, *, teams: list[str], now: int) -> None:
    """Cases of these teams wait for an owner: the worker looks at the teams now, unless it is
    to look already (then that instant stands: a new waiting case changes nobody's presence)."""
    if teams:
        session.connection().execute(
            update(_TEAMS)
            .where(
                _TEAMS.c.assignment.isnot(None),
                _TEAMS.c.handout_at.is_(None),
                _TEAMS.c.name.in_(bindparam("names", expanding=True)),
            )
            .values(handout_at=bindparam("now")),
            {"names": sorted(teams), "now": now},
        )
