"""Who a policy's recipient names reach: teams, people and webhooks, looked up once per transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases.models import Message
from escalon.core.calendar import Calendar
from escalon.core.staffing import working_calendar
from escalon.notifications.models import Webhook
from escalon.people.models import Agent, Team, team_members


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a notification can reach."""

    handle: str
    name: str
    email: str | None
    working_hours: Calendar | None = None  # None: always working
    timezone: str = "UTC"  # where they read the times a notice gives

    def at_work(self, at_us: int) -> bool:
        """Whether the instant falls in their working hours."""
        return self.working_hours is None or self.working_hours.is_open_us(at_us)

    def next_at_work(self, at_us: int) -> int:
        """The first instant from `at_us` inside their working hours."""
        return at_us if self.working_hours is None else self.working_hours.next_open_us(at_us)


# The webhook format of integrations that carry messages to customers (chat, social bridges).
CUSTOMER_WEBHOOK_FORMAT = "escalon"
_PERSON = (Agent.handle, Agent.name, Agent.email, Agent.timezone, Agent.working_hours)


def _person(row: Any) -> Person:
    handle, name, email, timezone, hours = row
    return Person(handle, name, email, working_calendar(timezone, hours), timezone or "UTC")


@dataclass(slots=True)
class Directory:
    """Cached lookups of teams, agents and webhooks for the length of one transaction."""

    session: Session
    _teams: dict[str, list[Person]] = field(default_factory=dict)
    _people: dict[str, Person | None] = field(default_factory=dict)
    _webhooks: dict[str, str] = field(default_factory=dict)  # name: format ("": none)
    _senders: dict[str, str | None] = field(default_factory=dict)

    def team(self, name: str) -> list[Person]:
        """The active members of a team (none when the team is unknown)."""
        found = self._teams.get(name)
        if found is None:
            rows = self.session.execute(
                select(*_PERSON)
                .join(team_members, team_members.c.agent_id == Agent.id)
                .join(Team, Team.id == team_members.c.team_id)
                .where(Team.name == name, Agent.active)
                .order_by(Agent.handle)
            ).all()
            found = [_person(row) for row in rows]
            self._teams[name] = found
        return found

    def person(self, handle: str) -> Person | None:
        """An active agent by handle."""
        if handle not in self._people:
            row = self.session.execute(
                select(*_PERSON).where(Agent.handle == handle, Agent.active)
            ).first()
            self._people[handle] = None if row is None else _person(row)
        return self._people[handle]

    def customer_threads(self, case_ids: Collection[int]) -> dict[int, str]:
        """The Message-ID of the customer's latest e-mail on each case (that has one), for
        replies in its thread: one statement for all of them."""
        if not case_ids:
            return {}
        latest = (
            select(func.max(Message.id))
            .where(
                Message.case_id.in_(case_ids),
                Message.author_kind == "customer",
                Message.channel == "email",
            )
            .group_by(Message.case_id)
        )
        rows = self.session.execute(
            select(Message.case_id, Message.details).where(Message.id.in_(latest))
        ).all()
        found = {}
        for case_id, details in rows:
            message_id = (details or {}).get("message_id")
            if message_id:
                found[int(case_id)] = str(message_id)
        return found

    def support_address(self, team: str) -> str | None:
        """The address a team's mail to customers comes from (None: the installation's)."""
        if team not in self._senders:
            self._senders[team] = self.session.scalar(
                select(Team.support_address).where(Team.name == team)
            )
        return self._senders[team]

    def has_webhook(self, name: str, *, for_customers: bool = False) -> bool:
        """Whether an active webhook of that name is configured; `for_customers`: one that takes
        Escalon's own signed payload (an integration that talks to customers), never a staff
        chat (Slack, Teams), where a customer's message and status link must not land."""
        found = self._webhooks.get(name)
        if found is None:
            found = self.session.scalar(
                select(Webhook.format).where(Webhook.name == name, Webhook.active)
            )
            self._webhooks[name] = found or ""
        return bool(found) and (not for_customers or found == CUSTOMER_WEBHOOK_FORMAT)
