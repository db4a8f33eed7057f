"""What a person may grant on their own: authority belongs to the person, never to the case.

A person's authority for a kind (a refund, a credit...) is their own limit when their agent
profile sets one for that kind; else the authority of the level they staff: their agent's
`level` when the case's policy knows it, else the highest level whose team is one of theirs. A
user linked to no agent, or to an inactive one, may grant nothing. The level a case happens to
be at never counts: whoever could move the case could otherwise raise their own authority.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth.models import User
from escalon.core.policy import Policy
from escalon.people.models import Agent

DECIDING_ROLES = ("admin", "supervisor")
OWN_LIMIT = "own limit"


@dataclass(frozen=True, slots=True)
class Authority:
    """How much of a kind a person may grant on their own, and what gives it to them."""

    amount: float  # math.inf: unlimited
    basis: str  # "own limit", "level 'supervisor'", or why there is none

    def covers(self, amount: float) -> bool:
        """Whether an amount is within it."""
        return amount <= self.amount

    def shown(self) -> float | str:
        """The amount as the API and the audit trail write it ("unlimited" for no bound)."""
        return "unlimited" if math.isinf(self.amount) else self.amount

    def words(self) -> str:
        """The amount for a sentence: 500, or unlimited."""
        return "unlimited" if math.isinf(self.amount) else f"{self.amount:g}"


NO_AGENT = Authority(0.0, "not linked to an agent")


def amount_of(value: float | str) -> float:
    """An agent profile's limit as a number ("unlimited" is infinite)."""
    return math.inf if value == "unlimited" else float(value)


def of_agent(policy: Policy, agent: Agent | None, kind: str) -> Authority:
    """The authority of an agent for a kind under a policy."""
    if agent is None:
        return NO_AGENT
    if not agent.active:
        return Authority(0.0, f"agent {agent.handle} is inactive")
    own = (agent.authority or {}).get(kind)
    if own is not None:
        return Authority(amount_of(own), OWN_LIMIT)
    index = policy.level_index.get(agent.level) if agent.level is not None else None
    if index is None:
        teams = {team.name for team in agent.teams}
        staffed = [i for i, level in enumerate(policy.levels) if level.team in teams]
        if not staffed:
            return Authority(0.0, "no level of the policy")
        index = max(staffed, key=lambda i: (policy.authority(i, kind), i))
    return Authority(policy.authority(index, kind), f"level {policy.levels[index].name!r}")


def of_person(session: Session, policy: Policy, *, agent: str | None, kind: str) -> Authority:
    """The authority of the person acting as the agent with handle `agent` (None: no agent)."""
    if agent is None:
        return NO_AGENT
    found = session.scalars(select(Agent).where(Agent.handle == agent)).first()
    return of_agent(policy, found, kind)


def needed_level(policy: Policy, kind: str, amount: float) -> str | None:
    """The lowest level whose authority covers the amount; None when no level's does."""
    for level in policy.levels:
        if level.authority.get(kind, 0.0) >= amount:
            return level.name
    return None


def deciders(
    session: Session, policy: Policy, *, kind: str, amount: float, requester: str
) -> list[str]:
    """Who may decide a request: supervisors and admins whose own authority covers the amount,
    except the requester (named by the handle or username the request was made under)."""
    rows = session.execute(
        select(User.username, Agent)
        .join(Agent, Agent.id == User.agent_id)
        .where(User.active, User.role.in_(DECIDING_ROLES), Agent.active)
        .order_by(Agent.handle)
    ).all()
    return [
        agent.handle
        for username, agent in rows
        if requester not in (agent.handle, username)
        and of_agent(policy, agent, kind).covers(amount)
    ]
