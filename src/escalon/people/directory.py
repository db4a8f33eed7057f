"""Who a policy's recipient names reach: teams, people and webhooks, looked up once per transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.notifications.models import Webhook
from escalon.people.models import Agent, Team, team_members


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a notification can reach."""

    handle: str
    name: str
    email: str | None


@dataclass(slots=True)
class Directory:
    """Cached lookups of teams, agents and webhooks for the length of one transaction."""

    session: Session
    _teams: dict[str, list[Person]] = field(default_factory=dict)
    _people: dict[str, Person | None] = field(default_factory=dict)
    _webhooks: dict[str, bool] = field(default_factory=dict)

    def team(self, name: str) -> list[Person]:
        """The active members of a team (none when the team is unknown)."""
        found = self._teams.get(name)
        if found is None:
            rows = self.session.execute(
                select(Agent.handle, Agent.name, Agent.email)
                .join(team_members, team_members.c.agent_id == Agent.id)
                .join(Team, Team.id == team_members.c.team_id)
                .where(Team.name == name, Agent.active)
                .order_by(Agent.handle)
            ).all()
            found = [Person(handle, person, email) for handle, person, email in rows]
            self._teams[name] = found
        return found

    def person(self, handle: str) -> Person | None:
        """An active agent by handle."""
        if handle not in self._people:
            row = self.session.execute(
                select(Agent.handle, Agent.name, Agent.email).where(
                    Agent.handle == handle, Agent.active
                )
            ).first()
            self._people[handle] = None if row is None else Person(row[0], row[1], row[2])
        return self._people[handle]

    def has_webhook(self, name: str) -> bool:
        """Whether an active webhook of that name is configured."""
        found = self._webhooks.get(name)
        if found is None:
            found = (
                self.session.scalar(select(Webhook.id).where(Webhook.name == name, Webhook.active))
                is not None
            )
            self._webhooks[name] = found
        return found
