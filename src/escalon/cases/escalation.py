"""Moving a case by hand: escalating it up a level or across to a team, acknowledging the
escalation it waits on, returning it to a lower level with a hand-over note."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.cases import acknowledging, acting, service
from escalon.cases.acting import Actor
from escalon.cases.models import Escalation
from escalon.cases.schemas import DeEscalateIn, EscalateIn
from escalon.core import engine
from escalon.core.events import (
    AgentMessage,
    CaseEscalated,
    CaseRouted,
    EscalationAcknowledged,
    Event,
)
from escalon.errors import Conflict
from escalon.forecast import breach as breach_forecast
from escalon.notifications import notices


def escalate_case(
    session: Session,
    *,
    case_id: int,
    request: EscalateIn,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> None:
    """A person escalates: up to a level (hierarchical) or across to a team (functional)."""
    case = acting.locked(session, case_id, if_match, actor)
    acting.require_open(case, "escalate it")
    policy = case.policy
    at = acting.event_at(case, now)
    event: Event
    if request.kind == "hierarchical":
        assert request.to_level is not None
        target = acting.level(policy, request.to_level)
        if target <= case.state.level:
            current = policy.levels[case.state.level].name
            raise Conflict(
                f"the case is at level {current!r}; {request.to_level!r} is not above it "
                "(to return it lower, de-escalate)"
            )
        event = CaseEscalated(
            **acting.by_actor(case_id, at, actor), to=request.to_level, reason=request.reason
        )
    else:
        assert request.to_team is not None
        acting.check_names(policy, team=request.to_team)
        if request.to_team == case.state.team:
            raise Conflict(f"the case is already with team {request.to_team!r}")
        event = CaseRouted(
            **acting.by_actor(case_id, at, actor), team=request.to_team, reason=request.reason
        )
    change = acting.apply(session, case, event, at, actor, None, data=acting.event_data(event))
    # The team that has the case now hears who moved it there and why.
    change.actions.extend(
        notices.manual_notice(action, change.state.team, acting.crew(session))
        for action in list(change.actions)
        if action.rule == "manual" and action.action in ("escalate", "route")
    )
    acting.write(session, [change], now)


def acknowledge(
    session: Session, *, case_id: int, actor: Actor, now: int, if_match: int | None
) -> None:
    """Take ownership of the case's latest escalation: the acknowledging agent, who must be of
    the level or team the case is at now, becomes its assignee."""
    case = acting.locked(session, case_id, if_match, actor)
    at = acting.event_at(case, now)
    # Fire what fell due first: an escalation that climbed meanwhile is the one acknowledged.
    change = service.Change(case, case.state, actor.name)
    foresight = breach_forecast.foresight(session, case.policy)
    crew = acting.crew(session)
    change.add(engine.evaluate(case.state, case.policy, at, staffing=crew, foresight=foresight))
    if not change.state.awaiting_ack:
        raise Conflict(f"case {case_id} has no escalation waiting for acknowledgement")
    level = case.policy.levels[change.state.level].name
    acknowledging.require(session, actor=actor, level=level, team=change.state.team)
    event = EscalationAcknowledged(**acting.by_actor(case_id, at, actor))
    acting.apply_into(session, change, case, event, at, None)
    change.entries.append({"kind": event.type, "at": at, "data": acting.event_data(event)})
    if actor.agent is not None and change.state.assignee != actor.agent:
        previous = change.state.assignee
        change.state = engine.assign(change.state, actor.agent, at=at, level=level)
        change.entries.append(
            {
                "kind": "case.assigned",
                "at": at,
                "data": {"from": previous, "to": actor.agent, "by": "acknowledgement"},
            }
        )
    session.execute(
        update(Escalation)
        .where(
            Escalation.id
            == select(Escalation.id)
            .where(Escalation.case_id == case_id, Escalation.action == "escalate")
            .order_by(Escalation.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        .values(acknowledged_by=actor.name, acknowledged_at=at)
        .execution_options(synchronize_session=False)
    )
    acting.write(session, [change], now, flush_first=True)


def de_escalate(
    session: Session,
    *,
    case_id: int,
    request: DeEscalateIn,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> None:
    """Return the case to a lower level with a hand-over note (an internal note on the case)."""
    case = acting.locked(session, case_id, if_match, actor)
    policy = case.policy
    target = acting.level(policy, request.to_level)
    if target >= case.state.level:
        current = policy.levels[case.state.level].name
        raise Conflict(f"the case is at level {current!r}; {request.to_level!r} is not below it")
    at = acting.event_at(case, now)
    written_by = acting.by_actor(case_id, at, actor)
    note = AgentMessage(**written_by, public=False, body=request.note)
    move = CaseEscalated(**written_by, to=request.to_level, reason=request.note)
    change = service.Change(case, case.state, actor.name)
    acting.apply_into(session, change, case, note, at, None)
    acting.apply_into(session, change, case, move, at, None)
    change.entries.append({"kind": "case.de-escalated", "at": at, "data": acting.event_data(move)})
    change.messages.append(
        acting.message_row(
            at=at,
            author_kind="agent",
            author=actor.name,
            public=False,
            channel=None,
            subject="Hand-over note",
            body=request.note,
        )
    )
    acting.write(session, [change], now)
