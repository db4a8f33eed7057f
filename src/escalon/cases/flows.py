"""Case use cases: each turns a request into a core event, asks the engine, and writes the result.

Every flow runs in the caller's write transaction, locks the case, checks the version the caller
based its request on (If-Match), applies the event through `escalon.core.engine` (which first
fires whatever fell due before it) and hands the decisions to `service.write_changes`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from psycopg.errors import UniqueViolation
from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases import service
from escalon.cases.models import (
    ApprovalRequest,
    Case,
    Customer,
    Escalation,
    IdempotencyKey,
    Message,
)
from escalon.cases.schemas import (
    ApprovalDecisionIn,
    ApprovalIn,
    CaseCreate,
    CasePatch,
    CustomerIn,
    DeEscalateIn,
    EscalateIn,
    MessageIn,
    SurveyIn,
)
from escalon.core import engine
from escalon.core.events import (
    AgentMessage,
    ApprovalRequested,
    CaseEscalated,
    CaseOpened,
    CaseRouted,
    CaseUpdated,
    CustomerMessage,
    EscalationAcknowledged,
    Event,
    StatusChanged,
    SurveyAnswered,
)
from escalon.core.policy import Policy
from escalon.core.signals import TextAnalyzer
from escalon.core.staffing import Staffing
from escalon.core.state import from_us
from escalon.database.base import table_of
from escalon.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from escalon.people import staffing as people_staffing
from escalon.people.directory import Directory
from escalon.people.models import Agent
from escalon.policies import service as policies
from escalon.worker.timers import wake_workers


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: the audit trail and the engine's events name them by `name`."""

    user_id: int | None
    name: str
    role: str
    agent: str | None = None  # the agent this user acts as, if linked to one


# A change whose next timer falls this close wakes listening workers instead of waiting a poll.
WAKE_HORIZON_US = 2 * 1_000_000


class Opened(NamedTuple):
    """What opening a case gave: its id, whether an earlier request had made it, and (when this
    one did) the case row as written, joined to its customer and policy, for the answer."""

    case_id: int
    replayed: bool
    row: dict[str, Any] | None


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first; read its case instead."""


# -- customers ---------------------------------------------------------------------------------


def find_or_create_customer(session: Session, *, data: CustomerIn, now: int) -> Customer:
    """The customer with `data.ref`, created if new; given fields update a known one."""
    customer = session.scalars(select(Customer).where(Customer.ref == data.ref)).first()
    if customer is None:
        customer = Customer(
            ref=data.ref,
            name=data.name,
            email=data.email,
            tier=data.tier,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(customer)
        except IntegrityError:
            # Created meanwhile by a concurrent request: use that one.
            customer = session.scalars(select(Customer).where(Customer.ref == data.ref)).one()
        else:
            return customer
    changed = False
    for name in ("name", "email", "tier"):
        value = getattr(data, name)
        if value is not None and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed = True
    if changed:
        customer.updated_at = now
        session.flush()
    return customer


# -- opening -----------------------------------------------------------------------------------


def request_fingerprint(request: CaseCreate) -> str:
    """A hash of a create request, to tell a retry from a different request under the same key."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replayed_case(session: Session, *, user_id: int, key: str, request: CaseCreate) -> int | None:
    """The case an earlier request with this Idempotency-Key created, if any.

    Invalid when the key was used for a different request.
    """
    found = session.execute(
        select(IdempotencyKey.case_id, IdempotencyKey.request_hash).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
    ).first()
    if found is None:
        return None
    if found[1] != request_fingerprint(request):
        raise Invalid(
            f"Idempotency-Key {key!r} was already used for a different request; "
            "use a new key for a new case"
        )
    return int(found[0])


def open_case(
    session: Session,
    *,
    request: CaseCreate,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    idempotency_key: str | None = None,
    tags: Sequence[str] = (),
    message_details: dict[str, Any] | None = None,
) -> Opened:
    """Open a case under the active policy.

    `tags` start the case's tags (a channel flags a case for review so); `message_details` are
    stored with the opening message (what the channel knows of it: e-mail headers, a chat's
    conversation).

    The hot path of intake: one statement reads everything it needs (active policy, new id,
    customer, an earlier request with the same key), the writes go out in one round trip.
    """
    keyed = idempotency_key is not None and actor.user_id is not None
    facts = service.opening_facts(
        session,
        customer_ref=request.customer.ref if request.customer is not None else None,
        customer_id=request.customer_id,
        user_id=actor.user_id,
        idempotency_key=idempotency_key if keyed else None,
    )
    if facts is not None and facts.replay_case_id is not None:
        if facts.replay_hash != request_fingerprint(request):
            raise Invalid(
                f"Idempotency-Key {idempotency_key!r} was already used for a different request; "
                "use a new key for a new case"
            )
        return Opened(facts.replay_case_id, True, None)
    if facts is None:
        raise Conflict("no policy is active: upload one and activate it (POST /api/v1/policies)")
    policy = policies.compiled(session, facts.policy_version_id, facts.policy_fingerprint)
    customer = _customer_of(session, request, facts, now)
    _check_names(
        policy,
        priority=request.priority,
        team=request.team,
        impact=request.impact,
        urgency=request.urgency,
    )
    case_id = facts.case_id
    event = CaseOpened(
        at=from_us(now),
        case=str(case_id),
        customer=customer.ref,
        tier=request.tier if request.tier is not None else customer.tier,
        channel=request.channel,
        category=request.category,
        priority=request.priority,
        impact=request.impact,
        urgency=request.urgency,
        team=request.team,
        subject=request.subject,
        body=request.body,
    )
    try:
        decision = engine.open_case(
            policy, event, analyzer=analyzer, at_us=now, staffing=_crew(session)
        )
    except engine.EventRejected as error:
        raise Invalid(str(error)) from None
    loaded = service.LoadedCase(
        id=case_id,
        version=0,
        policy_version_id=facts.policy_version_id,
        customer_id=customer.id,
        subject=request.subject,
        customer_ref=customer.ref,
        customer_name=customer.name,
        customer_email=customer.email,
        state=decision.state,
        policy=policy,
    )
    if tags:
        decision.state.tags = tuple(dict.fromkeys((*decision.state.tags, *tags)))
    change = service.Change(loaded, decision.state, actor.name, new=True)
    change.add(decision)
    change.entries.append(
        {"kind": "case.opened", "at": now, "data": _event_data(event, skip=("subject", "body"))}
    )
    if request.body or request.subject:
        change.messages.append(
            _message_row(
                at=now,
                author_kind="customer",
                author=customer.ref,
                public=True,
                channel=request.channel,
                subject=request.subject or None,
                body=request.body,
                details=message_details,
            )
        )
    key_rows = []
    if keyed:
        key_rows.append(
            {
                "user_id": actor.user_id,
                "key": idempotency_key,
                "request_hash": request_fingerprint(request),
                "case_id": case_id,
                "created_at": now,
            }
        )
    try:
        _write(
            session, [change], now, also=[(table_of(IdempotencyKey), key_rows)] if key_rows else ()
        )
    except (IntegrityError, UniqueViolation) as error:
        if keyed and "idempotency" in str(error):
            # A concurrent request with the same key committed first: this one is dropped.
            raise IdempotencyRace(str(idempotency_key)) from None
        raise
    row = dict(change.columns or {})
    row.update(
        customer_ref=customer.ref,
        customer_name=customer.name,
        policy_name=policy.name,
        policy_version=policy.version,
        tags=decision.state.tags,
    )
    return Opened(case_id, False, row)


@dataclass(frozen=True, slots=True)
class _CustomerFacts:
    id: int
    ref: str
    name: str | None
    email: str | None
    tier: str | None


def _customer_of(
    session: Session, request: CaseCreate, facts: service.OpeningFacts, now: int
) -> _CustomerFacts:
    """The case's customer: found by the opening facts, created or updated from the request."""
    data = request.customer
    if facts.customer_id is None:
        if data is None:
            raise Invalid(f"customer {request.customer_id} does not exist")
        created = session.execute(
            _insert_ignoring_conflict(session, Customer)
            .values(
                ref=data.ref,
                name=data.name,
                email=data.email,
                tier=data.tier,
                created_at=now,
                updated_at=now,
            )
            .returning(Customer.id)
        ).first()
        if created is not None:
            return _CustomerFacts(created[0], data.ref, data.name, data.email, data.tier)
        # Created meanwhile by a concurrent request: use that one.
        customer = find_or_create_customer(session, data=data, now=now)
        return _CustomerFacts(
            customer.id, customer.ref, customer.name, customer.email, customer.tier
        )
    assert facts.customer_ref is not None
    found = _CustomerFacts(
        facts.customer_id,
        facts.customer_ref,
        facts.customer_name,
        facts.customer_email,
        facts.customer_tier,
    )
    if data is None:
        return found
    changes = {
        name: getattr(data, name)
        for name in ("name", "email", "tier")
        if getattr(data, name) is not None and getattr(data, name) != getattr(found, name)
    }
    if not changes:
        return found
    session.execute(
        update(Customer)
        .where(Customer.id == found.id)
        .values(**changes, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _CustomerFacts(
        found.id,
        found.ref,
        changes.get("name", found.name),
        changes.get("email", found.email),
        changes.get("tier", found.tier),
    )


def _insert_ignoring_conflict(session: Session, model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).on_conflict_do_nothing()


# -- events on an open case --------------------------------------------------------------------


def post_message(
    session: Session,
    *,
    case_id: int,
    request: MessageIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    if_match: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Add a message from the customer or an agent; returns the message's id.

    `details` are stored with the message (a call's duration and outcome, e-mail headers...).
    """
    case = _locked(session, case_id, if_match)
    at = _at(case, now)
    event: Event
    if request.author == "customer":
        event = CustomerMessage(
            at=from_us(at), case=str(case_id), body=request.body, channel=request.channel
        )
        author = case.customer_ref
    else:
        event = AgentMessage(
            at=from_us(at),
            case=str(case_id),
            agent=actor.name,
            public=request.public,
            body=request.body,
        )
        author = actor.name
    change = _apply(
        session, case, event, at, actor, analyzer, data=_event_data(event, skip=("body",))
    )
    _write(session, [change], now)
    row = _message_row(
        at=at,
        author_kind=request.author,
        author=author,
        public=request.public,
        channel=request.channel,
        subject=request.subject,
        body=request.body,
        details=details,
    )
    message_id = session.scalar(
        insert(table_of(Message)).returning(table_of(Message).c.id), {"case_id": case_id, **row}
    )
    return int(message_id or 0)


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
    case = _locked(session, case_id, if_match)
    _check_names(case.policy, priority=request.priority)
    at = _at(case, now)
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
        _apply_into(session, change, case, event, at, None)
        change.entries.append({"kind": event.type, "at": at, "data": _event_data(event)})
    if request.root_cause is not None:
        if not events:
            change.state = case.state.copy()
            change.state.updated_at = at
        change.entries.append(
            {"kind": "case.root_cause", "at": at, "data": {"root_cause": request.root_cause}}
        )
    _write(session, [change], now)
    if request.root_cause is not None:
        session.execute(
            update(table_of(Case))
            .where(table_of(Case).c.id == case_id)
            .values(root_cause=request.root_cause)
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
    """Give the case to an agent, or back to its team's queue."""
    case = _locked(session, case_id, if_match)
    if assignee is not None:
        exists = session.scalar(select(Agent.id).where(Agent.handle == assignee, Agent.active))
        if exists is None:
            raise Invalid(f"no active agent has the handle {assignee!r}")
    if case.state.assignee == assignee:
        return
    at = _at(case, now)
    state = engine.assign(case.state, assignee)
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {"kind": "case.assigned", "at": at, "data": {"from": case.state.assignee, "to": assignee}}
    )
    _write(session, [change], now)


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
    case = _locked(session, case_id, if_match)
    policy = case.policy
    at = _at(case, now)
    event: Event
    if request.kind == "hierarchical":
        assert request.to_level is not None
        target = _level(policy, request.to_level)
        if target <= case.state.level:
            current = policy.levels[case.state.level].name
            raise Conflict(
                f"the case is at level {current!r}; {request.to_level!r} is not above it "
                "(to return it lower, de-escalate)"
            )
        event = CaseEscalated(
            at=from_us(at),
            case=str(case_id),
            agent=actor.name,
            to=request.to_level,
            reason=request.reason,
        )
    else:
        assert request.to_team is not None
        _check_names(policy, team=request.to_team)
        if request.to_team == case.state.team:
            raise Conflict(f"the case is already with team {request.to_team!r}")
        event = CaseRouted(
            at=from_us(at),
            case=str(case_id),
            agent=actor.name,
            team=request.to_team,
            reason=request.reason,
        )
    change = _apply(session, case, event, at, actor, None, data=_event_data(event))
    _write(session, [change], now)


def acknowledge(
    session: Session, *, case_id: int, actor: Actor, now: int, if_match: int | None
) -> None:
    """Take ownership of the case's latest escalation: the acknowledging agent, who must be of
    the level or team the case is at now, becomes its assignee."""
    case = _locked(session, case_id, if_match)
    at = _at(case, now)
    # Fire what fell due first: an escalation that climbed meanwhile is the one acknowledged.
    change = service.Change(case, case.state, actor.name)
    change.add(engine.evaluate(case.state, case.policy, at, staffing=_crew(session)))
    if not change.state.awaiting_ack:
        raise Conflict(f"case {case_id} has no escalation waiting for acknowledgement")
    _check_acknowledger(session, case.policy, change.state, actor)
    event = EscalationAcknowledged(at=from_us(at), case=str(case_id), agent=actor.name)
    _apply_into(session, change, case, event, at, None)
    change.entries.append({"kind": event.type, "at": at, "data": _event_data(event)})
    if actor.agent is not None and change.state.assignee != actor.agent:
        previous = change.state.assignee
        change.state = engine.assign(change.state, actor.agent)
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
    _write(session, [change], now, flush_first=True)


def _check_acknowledger(session: Session, policy: Policy, state: Any, actor: Actor) -> None:
    """Only a person of the level (or team) the case was escalated to may acknowledge it.

    Users not linked to an agent may acknowledge on someone's behalf only as admins or
    supervisors; nobody is assigned then.
    """
    level = policy.levels[state.level].name
    if actor.agent is None:
        if actor.role in ("admin", "supervisor"):
            return
        raise Forbidden(
            f"user {actor.name!r} is not linked to an agent: only a person of level {level!r} "
            "may acknowledge this escalation"
        )
    agent = session.scalars(select(Agent).where(Agent.handle == actor.agent)).first()
    if agent is None or not agent.active:
        raise Forbidden(f"agent {actor.agent!r} is not active")
    teams = {team.name for team in agent.teams}
    if agent.level != level and state.team not in teams:
        raise Forbidden(
            f"{actor.agent} is neither at level {level!r} nor in team {state.team!r}: only a "
            "person of the level the case was escalated to may acknowledge it"
        )


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
    case = _locked(session, case_id, if_match)
    policy = case.policy
    target = _level(policy, request.to_level)
    if target >= case.state.level:
        current = policy.levels[case.state.level].name
        raise Conflict(f"the case is at level {current!r}; {request.to_level!r} is not below it")
    at = _at(case, now)
    note = AgentMessage(
        at=from_us(at), case=str(case_id), agent=actor.name, public=False, body=request.note
    )
    move = CaseEscalated(
        at=from_us(at),
        case=str(case_id),
        agent=actor.name,
        to=request.to_level,
        reason=request.note,
    )
    change = service.Change(case, case.state, actor.name)
    _apply_into(session, change, case, note, at, None)
    _apply_into(session, change, case, move, at, None)
    change.entries.append({"kind": "case.de-escalated", "at": at, "data": _event_data(move)})
    change.messages.append(
        _message_row(
            at=at,
            author_kind="agent",
            author=actor.name,
            public=False,
            channel=None,
            subject="Hand-over note",
            body=request.note,
        )
    )
    _write(session, [change], now)


def request_approval(
    session: Session,
    *,
    case_id: int,
    request: ApprovalIn,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> int:
    """Ask to grant an amount: granted at once within the requester's authority, else pending
    (and the policy's `approval.requested` rules may escalate the case to a level that can).

    The requester's authority is their own limit for the kind when their agent profile sets
    one, else the authority of the level the case is at.
    """
    case = _locked(session, case_id, if_match)
    policy = case.policy
    at = _at(case, now)
    level = case.state.level
    personal = _personal_authority(session, actor, request.kind)
    limit = policy.authority(level, request.kind) if personal is None else personal
    within = request.amount <= limit
    event = ApprovalRequested(
        at=from_us(at),
        case=str(case_id),
        agent=actor.name,
        kind=request.kind,
        amount=request.amount,
        authority=personal,
    )
    change = _apply(session, case, event, at, actor, None, data=_event_data(event))
    approval = ApprovalRequest(
        case_id=case_id,
        kind=request.kind,
        amount=request.amount,
        note=request.note,
        requested_by=actor.name,
        requested_at=at,
        level=policy.levels[level].name,
        status="granted" if within else "pending",
        decided_by=actor.name if within else None,
        decided_at=at if within else None,
    )
    session.add(approval)
    session.flush()
    if within:
        change.entries.append(
            {
                "kind": "approval.granted",
                "at": at,
                "data": {
                    "approval": approval.id,
                    "kind": request.kind,
                    "amount": request.amount,
                    "authority": limit,
                    "by": "agent" if personal is not None else "level",
                },
            }
        )
    _write(session, [change], now)
    return approval.id


def decide_approval(
    session: Session, *, approval_id: int, request: ApprovalDecisionIn, actor: Actor, now: int
) -> int:
    """Approve or reject a pending request; approving needs a level whose authority covers it."""
    approval = session.get(ApprovalRequest, approval_id, with_for_update=True)
    if approval is None:
        raise NotFound(f"approval request {approval_id} does not exist")
    if approval.status != "pending":
        raise Conflict(f"approval request {approval_id} is already {approval.status}")
    case = _locked(session, approval.case_id, None)
    policy = case.policy
    authority, whose = _decider_authority(session, policy, case.state.level, actor, approval.kind)
    if request.decision == "approve" and approval.amount > authority:
        needed = policy.levels[policy.level_covering(approval.kind, approval.amount)].name
        raise Conflict(
            f"{approval.kind} of {approval.amount:g} is above the authority of {whose} "
            f"({authority:g}); it needs level {needed!r}"
        )
    at = _at(case, now)
    approval.status = "approved" if request.decision == "approve" else "rejected"
    approval.decided_by = actor.name
    approval.decided_at = at
    approval.decision_note = request.note
    state = case.state.copy()
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {
            "kind": f"approval.{approval.status}",
            "at": at,
            "data": {
                "approval": approval.id,
                "kind": approval.kind,
                "amount": approval.amount,
                "note": request.note,
            },
        }
    )
    _write(session, [change], now, flush_first=True)
    return approval.case_id


def _personal_authority(session: Session, actor: Actor, kind: str) -> float | None:
    """The actor's own limit for a kind, when their agent profile sets one."""
    if actor.agent is None:
        return None
    limits = session.scalar(select(Agent.authority).where(Agent.handle == actor.agent))
    if not limits or kind not in limits:
        return None
    value = limits[kind]
    return float("inf") if value == "unlimited" else float(value)


def _decider_authority(
    session: Session, policy: Policy, case_level: int, actor: Actor, kind: str
) -> tuple[float, str]:
    """How much the actor may approve of a kind, and whose authority that is (for messages).

    Their own limit if their profile sets one; else their level's, when they have one the
    policy knows; else (users not linked to an agent) the level the case is at.
    """
    personal = _personal_authority(session, actor, kind)
    if personal is not None:
        return personal, f"{actor.agent}'s own limit"
    if actor.agent is not None:
        own_level = session.scalar(select(Agent.level).where(Agent.handle == actor.agent))
        if own_level is not None and own_level in policy.level_index:
            return policy.authority(policy.level_index[own_level], kind), f"level {own_level!r}"
    name = policy.levels[case_level].name
    return policy.authority(case_level, kind), f"level {name!r}"


def answer_survey(
    session: Session, *, case_id: int, request: SurveyIn, actor: Actor, now: int
) -> None:
    """Record the customer's satisfaction score."""
    case = _locked(session, case_id, None)
    if case.state.status not in ("resolved", "closed"):
        raise Conflict(f"case {case_id} is {case.state.status}: a survey follows its resolution")
    at = _at(case, now)
    event = SurveyAnswered(
        at=from_us(at), case=str(case_id), score=request.score, comment=request.comment
    )
    change = _apply(session, case, event, at, actor, None, data=_event_data(event))
    _write(session, [change], now)


def migrate_case(
    session: Session,
    *,
    case_id: int,
    policy_version_id: int,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> None:
    """Move a case to another stored policy version (an operator's decision)."""
    case = _locked(session, case_id, if_match)
    if case.policy_version_id == policy_version_id:
        raise Conflict(f"case {case_id} is already under policy version {policy_version_id}")
    target = policies.get(session, policy_version_id)
    new_policy = policies.compiled(session, policy_version_id, target.fingerprint)
    at = _at(case, now)
    try:
        decision = engine.migrate(case.state, case.policy, new_policy, at, staffing=_crew(session))
    except engine.EventRejected as error:
        raise Conflict(f"case {case_id} cannot move to that policy: {error}") from None
    moved = service.LoadedCase(
        id=case.id,
        version=case.version,
        policy_version_id=policy_version_id,
        customer_id=case.customer_id,
        subject=case.subject,
        customer_ref=case.customer_ref,
        customer_name=case.customer_name,
        customer_email=case.customer_email,
        state=case.state,
        policy=new_policy,
        holder=case.holder,
    )
    change = service.Change(moved, decision.state, actor.name)
    change.actions.extend(decision.actions)
    change.clock_events.extend(decision.clock_events)
    change.entries.append(
        {
            "kind": "case.policy_migrated",
            "at": at,
            "data": {"from": case.policy_version_id, "to": policy_version_id},
        }
    )
    _write(session, [change], now)


# -- helpers -----------------------------------------------------------------------------------


def _locked(session: Session, case_id: int, if_match: int | None) -> service.LoadedCase:
    case = service.lock_case(session, case_id)
    if if_match is not None and if_match != case.version:
        raise StaleVersion(
            f"case {case_id} is at version {case.version}, not {if_match}: "
            "someone changed it; read it again and retry"
        )
    return case


def _at(case: service.LoadedCase, now: int) -> int:
    """The instant of a new event: now, but never before what the case has already seen."""
    return max(now, case.state.updated_at)


def _apply(
    session: Session,
    case: service.LoadedCase,
    event: Event,
    at: int,
    actor: Actor,
    analyzer: TextAnalyzer | None,
    *,
    data: dict[str, Any],
) -> service.Change:
    change = service.Change(case, case.state, actor.name)
    _apply_into(session, change, case, event, at, analyzer)
    change.entries.append({"kind": event.type, "at": at, "data": data})
    return change


def _crew(session: Session) -> Staffing:
    """The transaction's staffing: who stands behind each team, read once per team."""
    found: Staffing | None = session.info.get("staffing")
    if found is None:
        found = session.info["staffing"] = people_staffing.staffing(session)
    return found


def _apply_into(
    session: Session,
    change: service.Change,
    case: service.LoadedCase,
    event: Event,
    at: int,
    analyzer: TextAnalyzer | None,
) -> None:
    try:
        decision = engine.apply_event(
            change.state,
            case.policy,
            event,
            analyzer=analyzer,
            at_us=at,
            staffing=_crew(session),
        )
    except engine.EventRejected as error:
        raise Conflict(str(error)) from None
    change.add(decision)


def _write(
    session: Session,
    changes: list[service.Change],
    now: int,
    *,
    flush_first: bool = False,
    also: Sequence[tuple[Table, list[dict[str, Any]]]] = (),
) -> None:
    if flush_first:
        session.flush()
    crew = session.info.pop("staffing", None)
    service.write_changes(
        session, changes, now=now, directory=Directory(session), also=also, crew=crew
    )
    soon = now + WAKE_HORIZON_US
    if any(c.state.next_check_at is not None and c.state.next_check_at <= soon for c in changes):
        wake_workers(session)


def _level(policy: Policy, name: str) -> int:
    index = policy.level_index.get(name)
    if index is None:
        raise Invalid(
            f"unknown level {name!r} (the policy's levels: {', '.join(policy.level_index)})"
        )
    return index


def _check_names(
    policy: Policy,
    *,
    priority: str | None = None,
    team: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
) -> None:
    """Refuse names the policy does not know, saying which ones it does."""
    if priority is not None and priority not in policy.priority_rank:
        raise Invalid(
            f"unknown priority {priority!r} (the policy's priorities: "
            f"{', '.join(policy.priorities)})"
        )
    if team is not None and team not in policy.teams:
        raise Invalid(
            f"unknown team {team!r} (the policy's teams: {', '.join(sorted(policy.teams))})"
        )
    matrix = policy.document.priority
    if impact is not None and impact not in matrix.impact:
        raise Invalid(
            f"unknown impact {impact!r} (the policy's: {', '.join(matrix.impact) or 'none'})"
        )
    if urgency is not None and urgency not in matrix.urgency:
        raise Invalid(
            f"unknown urgency {urgency!r} (the policy's: {', '.join(matrix.urgency) or 'none'})"
        )


def _event_data(event: Event, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    data = event.model_dump(mode="json", exclude={"at", "case", "type", *skip})
    return {name: value for name, value in data.items() if value is not None}


def _message_row(
    *,
    at: int,
    author_kind: str,
    author: str,
    public: bool,
    channel: str | None,
    subject: str | None,
    body: str,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "author_kind": author_kind,
        "author": author,
        "public": public,
        "channel": channel,
        "subject": subject,
        "body": body,
        "details": details,
    }
