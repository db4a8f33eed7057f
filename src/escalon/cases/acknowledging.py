"""Who may acknowledge a case's escalation: the rule the acknowledge flow enforces and the case
page asks before it offers the button."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases.acting import Actor
from escalon.errors import Forbidden
from escalon.people.models import Agent

# Users not linked to an agent acknowledge on someone's behalf only in these roles.
ON_BEHALF = ("admin", "supervisor")


@dataclass(frozen=True, slots=True)
class Acknowledger:
    """A person as the acknowledgement rule sees them, read once for any number of cases."""

    actor: Actor
    found: bool  # an agent by that handle exists and is active
    level: str | None
    teams: frozenset[str]

    def refusal(self, level: str, team: str) -> str | None:
        """Why they may not acknowledge an escalation of a case at `level` in `team` (None:
        they may): only a person of that level, or of that team, may."""
        actor = self.actor
        if actor.agent is None:
            if actor.role in ON_BEHALF:
                return None
            return (
                f"user {actor.name!r} is not linked to an agent: only a person of level "
                f"{level!r} may acknowledge this escalation"
            )
        if not self.found:
            return f"agent {actor.agent!r} is not active"
        if self.level != level and team not in self.teams:
            return (
                f"{actor.agent} is neither at level {level!r} nor in team {team!r}: only a "
                "person of the level the case was escalated to may acknowledge it"
            )
        return None


def acknowledger(session: Session, actor: Actor) -> Acknowledger:
    """The actor with their agent's level and teams (a board asks about many cases)."""
    if actor.agent is None:
        return Acknowledger(actor, False, None, frozenset())
    agent = session.scalars(select(Agent).where(Agent.handle == actor.agent)).first()
    if agent is None or not agent.active:
        return Acknowledger(actor, False, None, frozenset())
    return Acknowledger(actor, True, agent.level, frozenset(team.name for team in agent.teams))


def refusal(session: Session, *, actor: Actor, level: str, team: str) -> str | None:
    """Why the actor may not acknowledge an escalation of a case at `level` in `team` (None:
    they may)."""
    return acknowledger(session, actor).refusal(level, team)


def require(session: Session, *, actor: Actor, level: str, team: str) -> None:
    """Forbidden unless the actor may acknowledge an escalation of a case at `level` in `team`."""
    refused = refusal(session, actor=actor, level=level, team=team)
    if refused is not None:
        raise Forbidden(refused)
