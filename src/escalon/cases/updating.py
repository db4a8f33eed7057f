"""Changing a case's own fields: status and triage, its assignee, the customer's survey."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.cases import acting, service
from escalon.cases.acting import Actor
from escalon.cases.models import Case
from escalon.cases.root_causes import named_cause
from escalon.cases.schemas import CasePatch, SurveyIn
from escalon.core import engine
from escalon.core.events import CaseUpdated, Event, StatusChanged, SurveyAnswered
from escalon.core.state import from_us
from escalon.database.base import table_of
from escalon.errors import Conflict, Forbidden, Invalid
from escalon.people.models import Agent


def update_case(
    session: Session,
    *,
    case_id: int,
    request: CasePatch,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> None:
    """Change status and triage fields (status first, then the others, as two events)."""
    case = acting.locked(session, case_id, if_match, actor)
    acting.check_names(case.policy, priority=request.priority)
    cause = named_cause(
        case.policy,
        request.root_cause_code,
        request.root_cause,
        resolving_escalated=request.status == "resolved" and case.state.escalations > 0,
    )
    at = acting.event_at(case, now)
    events: list[Event] = []
    if request.status is not None:
        events.append(StatusChanged(at=from_us(at), case=str(case_id), status=request.status))
    triage = {
        name: getattr(request, name)
        for name in ("priority", "category", "tier", "channel")
        if getattr(request, name) is not None
    }
    if triage:
        events.append(CaseUpdated(at=from_us(at), case=str(case_id), **triage))
    change = service.Change(case, case.state, actor.name)
    for event in events:
        acting.apply_into(session, change, case, event, at, None)
        data = acting.event_data(event)
        if isinstance(event, CaseUpdated) and event.category is not None:
            data["category_source"] = "person"
        change.entries.append({"kind": event.type, "at": at, "data": data})
    if cause is not None:
        if not events:
            change.state = case.state.copy()
            change.state.updated_at = at
        named: dict[str, str] = {"root_cause": cause.words}
        if cause.code is not None:
            named["root_cause_code"] = cause.code
        change.entries.append({"kind": "case.root_cause", "at": at, "data": named})
    acting.write(session, [change], now)
    if request.category is not None:
        session.execute(
            update(table_of(Case))
            .where(table_of(Case).c.id == case_id)
            .values(category_source="person", category_confidence=None)
        )
    if cause is not None:
        session.execute(
            update(table_of(Case))
            .where(table_of(Case).c.id == case_id)
            .values(root_cause=cause.words, root_cause_code=cause.code)
        )


def assign_case(
    session: Session,
    *,
    case_id: int,
    assignee: str | None,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> None:
    """Give the case to an agent, or back to its team's queue.

    Supervisors and admins hand any case they see to anyone; an agent takes an unassigned case
    for themselves or hands their own back (`assignment_refusal`).
    """
    case = acting.locked(session, case_id, if_match, actor)
    if assignee is not None:
        require_active_agent(session, assignee)
    if case.state.assignee == assignee:
        return
    refusal = assignment_refusal(actor, case.state.assignee, assignee)
    if refusal is not None:
        raise Forbidden(refusal)
    at = acting.event_at(case, now)
    level = case.policy.levels[case.state.level].name
    state = engine.assign(case.state, assignee, at=at, level=level)
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {"kind": "case.assigned", "at": at, "data": {"from": case.state.assignee, "to": assignee}}
    )
    acting.write(session, [change], now)


def require_active_agent(session: Session, handle: str) -> None:
    """Invalid unless an active agent has the handle (a case goes to no one else)."""
    exists = session.scalar(select(Agent.id).where(Agent.handle == handle, Agent.active))
    if exists is None:
        raise Invalid(f"no active agent has the handle {handle!r}")


# Who hands cases to anyone: the others may take a free case or give back their own.
ASSIGNERS = ("admin", "supervisor")


def assignment_refusal(actor: Actor, current: str | None, assignee: str | None) -> str | None:
    """Why the actor may not move a case from `current` to `assignee` (None: they may)."""
    if actor.role in ASSIGNERS:
        return None
    me = actor.agent
    if me is None:
        return "only supervisors assign cases; your user is not linked to an agent"
    if assignee is None:
        if current == me:
            return None
        return f"only supervisors take a case away from {current}"
    if assignee != me:
        return f"only supervisors give cases to others; you may take a case for yourself ({me})"
    if current is not None:
        return f"the case is {current}'s; ask a supervisor to reassign it"
    return None


def answer_survey(
    session: Session, *, case_id: int, request: SurveyIn, actor: Actor, now: int
) -> None:
    """Record the customer's satisfaction score."""
    case = acting.locked(session, case_id, None, actor)
    if case.state.status not in ("resolved", "closed"):
        raise Conflict(f"case {case_id} is {case.state.status}: a survey follows its resolution")
    at = acting.event_at(case, now)
    event = SurveyAnswered(
        at=from_us(at), case=str(case_id), score=request.score, comment=request.comment
    )
    change = acting.apply(session, case, event, at, actor, None, data=acting.event_data(event))
    acting.write(session, [change], now)
