"""Which cases a person may see: the one predicate every case read and write goes through.

With `ESCALON_CASE_VISIBILITY=all` everyone sees every case. With `teams`, staff see the cases of
their teams, the cases escalated to their level (above the first) and the cases assigned to
them; admins and integrations (intake, which reads only the public part of a case) see every
case. A case someone may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case
from escalon.errors import NotFound
from escalon.people.models import Agent

MODES = ("all", "teams")
# Roles that see every case whatever the mode: admins, and the programs that take cases in.
SEES_ALL = frozenset({"admin", "integration"})


@dataclass(frozen=True, slots=True)
class Scope:
    """The cases someone may see: every case, or those of some teams, a level, an assignee."""

    everything: bool
    teams: frozenset[str] = frozenset()
    level: str | None = None
    assignee: str | None = None

    def where(self) -> Any:
        """The SQL condition on `cases` that holds for the cases in scope (None: no condition)."""
        if self.everything:
            return None
        conditions: list[Any] = []
        if self.teams:
            conditions.append(Case.team.in_(sorted(self.teams)))
        if self.level is not None:
            # Escalated to their level: a case still at the first level belongs to its team.
            conditions.append(and_(Case.level == self.level, Case.level_rank > 0))
        if self.assignee is not None:
            conditions.append(Case.assignee == self.assignee)
        return or_(*conditions) if conditions else false()


EVERYTHING = Scope(everything=True)
NOTHING = Scope(everything=False)


def scope(session: Session, *, role: str, agent: str | None, mode: str) -> Scope:
    """What a caller of `role`, acting as the agent with handle `agent` (if any), may see."""
    if mode not in MODES:
        raise ValueError(f"unknown case visibility {mode!r} (known: {', '.join(MODES)})")
    if mode == "all" or role in SEES_ALL:
        return EVERYTHING
    if agent is None:
        return NOTHING  # a person linked to no agent belongs to no team and no level
    found = session.scalars(select(Agent).where(Agent.handle == agent)).first()
    if found is None or not found.active:
        return NOTHING
    return Scope(
        everything=False,
        teams=frozenset(team.name for team in found.teams),
        level=found.level,
        assignee=found.handle,
    )


def visible(session: Session, where: Scope, case_id: int) -> bool:
    """Whether the case exists and is in scope."""
    query = select(Case.id).where(Case.id == case_id)
    condition = where.where()
    if condition is not None:
        query = query.where(condition)
    return session.scalar(query) is not None


def require(session: Session, where: Scope, case_id: int) -> None:
    """NotFound, worded as for a case that does not exist, unless the case is in scope."""
    if not visible(session, where, case_id):
        raise NotFound(f"case {case_id} does not exist")
