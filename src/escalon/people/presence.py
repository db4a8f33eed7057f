"""Who is here and how full they are: what a supervisor sees when handing a case to someone."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalon.core.assignment import Candidate, is_present
from escalon.core.staffing import rotation_of, working_calendar
from escalon.people.models import Agent, Team


@dataclass(frozen=True, slots=True)
class Person:
    """An active agent as the assignment picker shows them."""

    handle: str
    name: str
    teams: tuple[str, ...]
    present: bool
    on_call: bool
    open_cases: int
    capacity: int

    @property
    def full(self) -> bool:
        """Whether they are at (or over) capacity."""
        return self.open_cases >= self.capacity

    @property
    def label(self) -> str:
        """One line: name, handle, here or not, and load."""
        here = "on call" if self.on_call else "present" if self.present else "not present"
        full = ", full" if self.full else ""
        return (
            f"{self.name} ({self.handle}) · {here} · "
            f"{self.open_cases}/{self.capacity} open cases{full}"
        )


def people(session: Session, *, now: int, team: str | None = None) -> list[Person]:
    """Every active agent; the team's members first, then whoever is present, then the least
    loaded."""
    on_call: set[str] = set()
    for raw in session.scalars(select(Team.rotation).where(Team.rotation.isnot(None))):
        rotation = rotation_of(raw)
        who = rotation.on_call(now) if rotation is not None else None
        if who is not None:
            on_call.add(who)
    agents = session.scalars(
        select(Agent).where(Agent.active).options(selectinload(Agent.teams)).order_by(Agent.handle)
    ).all()
    found = []
    for agent in agents:
        candidate = Candidate(
            handle=agent.handle,
            status=agent.status,
            capacity=agent.capacity,
            open_cases=agent.open_cases,
            working_hours=working_calendar(agent.timezone, agent.working_hours),
        )
        found.append(
            Person(
                handle=agent.handle,
                name=agent.name,
                teams=tuple(t.name for t in agent.teams),
                present=is_present(candidate, now, on_call=agent.handle in on_call),
                on_call=agent.handle in on_call,
                open_cases=agent.open_cases,
                capacity=agent.capacity,
            )
        )
    found.sort(
        key=lambda p: (team not in p.teams, not p.present, p.open_cases / max(p.capacity, 1))
    )
    return found
