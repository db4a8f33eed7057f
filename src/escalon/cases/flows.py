"""Case use cases: each turns a request into a core event, asks the engine, and writes the result.

Every flow runs in the caller's write transaction, locks the case, checks the version the caller
based its request on (If-Match), applies the event through `escalon.core.engine` (which first
fires whatever fell due before it) and hands the decisions to `service.write_changes`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from psycopg.errors import UniqueViolation
from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases import acknowledging, authority, categories, search, service, visibility
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
from escalon.core.state import STOPPED_STATUSES, from_us
from escalon.database.base import table_of
from escalon.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from escalon.notifications import notices, replies
from escalon.notifications.models import OutboxMessage
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
    # Which cases they may act on (`escalon.cases.visibility`): the setting for people; Escalon's
    # own actors (intake, the worker, the operator's CLI) see every case.
    visibility: str = "all"


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
    """The customer with `data.ref`, created from `data` if new; a known one is not changed
    (changing a customer is `PATCH /customers/{id}`, a supervisor's act)."""
    customer = session.scalars(select(Customer).where(Customer.ref == data.ref)).first()
    if customer is not None:
        return customer
    customer = Customer(
        ref=data.ref,
        name=data.name,
        email=data.email,
        tier=data.tier,
        timezone=data.timezone,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(customer)
    except IntegrityError:
        # Created meanwhile by a concurrent request: use that one.
        customer = session.scalars(select(Customer).where(Customer.ref == data.ref)).one()
    return customer


# Who may change a known customer's name, address or tier by opening a case with other values.
CUSTOMER_EDITORS = ("admin", "supervisor")
CUSTOMER_FIELDS = ("name", "email", "tier", "timezone")


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
    customer, differences = _customer_of(session, request, facts, now, actor)
    _check_names(
        policy,
        priority=request.priority,
        team=request.team,
        impact=request.impact,
        urgency=request.urgency,
    )
    case_id = facts.case_id
    categorized = categories.at_intake(
        policy,
        given=request.category,
        subject=request.subject,
        body=request.body,
        reader=analyzer,
    )
    event = CaseOpened(
        at=from_us(now),
        case=str(case_id),
        customer=customer.ref,
        tier=request.tier if request.tier is not None else customer.tier,
        channel=request.channel,
        category=categorized.category,
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
        customer_timezone=customer.timezone,
        state=decision.state,
        policy=policy,
    )
    if tags:
        decision.state.tags = tuple(dict.fromkeys((*decision.state.tags, *tags)))
    change = service.Change(loaded, decision.state, actor.name, new=True)
    change.category_origin = (categorized.source, categorized.confidence)
    change.add(decision)
    opening = _event_data(event, skip=("subject", "body")) | categorized.entry_data()
    change.entries.append({"kind": "case.opened", "at": now, "data": opening})
    if differences:
        change.entries.append(_customer_entry(actor, differences, now))
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
    timezone: str | None = None


def _customer_of(
    session: Session, request: CaseCreate, facts: service.OpeningFacts, now: int, actor: Actor
) -> tuple[_CustomerFacts, dict[str, tuple[str | None, str | None]]]:
    """The case's customer, found by the opening facts or created from the request, and how
    the request's customer data differs from a known customer's (field: (stored, given)).

    Only supervisors and admins change a known customer so; for anyone else (an integration, a
    channel, an agent) the stored values stay: anyone may type anyone's reference, and a
    changed address would send that customer's replies to a stranger.
    """
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
                timezone=data.timezone,
                created_at=now,
                updated_at=now,
            )
            .returning(Customer.id)
        ).first()
        if created is not None:
            facts_of_new = _CustomerFacts(
                created[0], data.ref, data.name, data.email, data.tier, data.timezone
            )
            return facts_of_new, {}
        # Created meanwhile by a concurrent request: use that one.
        customer = find_or_create_customer(session, data=data, now=now)
        found = _CustomerFacts(
            customer.id,
            customer.ref,
            customer.name,
            customer.email,
            customer.tier,
            customer.timezone,
        )
    else:
        assert facts.customer_ref is not None
        found = _CustomerFacts(
            facts.customer_id,
            facts.customer_ref,
            facts.customer_name,
            facts.customer_email,
            facts.customer_tier,
            facts.customer_timezone,
        )
    if data is None:
        return found, {}
    differences = {
        name: (getattr(found, name), getattr(data, name))
        for name in CUSTOMER_FIELDS
        if getattr(data, name) is not None and getattr(data, name) != getattr(found, name)
    }
    if not differences or actor.role not in CUSTOMER_EDITORS:
        return found, differences
    changed = {name: given for name, (_stored, given) in differences.items()}
    session.execute(
        update(Customer)
        .where(Customer.id == found.id)
        .values(**changed, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = _CustomerFacts(
        found.id,
        found.ref,
        changed.get("name", found.name),
        changed.get("email", found.email),
        changed.get("tier", found.tier),
        changed.get("timezone", found.timezone),
    )
    if search.CUSTOMER_FIELDS & changed.keys():
        search.customer_changed(
            session, customer_id=found.id, ref=found.ref, name=result.name, email=result.email
        )
    return result, differences


def _customer_entry(
    actor: Actor, differences: dict[str, tuple[str | None, str | None]], at: int
) -> dict[str, Any]:
    """The case's audit entry for customer data that differed from the stored customer's:
    `customer.updated` when the actor may change customers, else `customer.differs` (kept)."""
    if actor.role in CUSTOMER_EDITORS:
        data = {
            name: {"from": stored, "to": given} for name, (stored, given) in differences.items()
        }
        return {"kind": "customer.updated", "at": at, "data": data}
    data = {name: {"kept": stored, "given": given} for name, (stored, given) in differences.items()}
    return {"kind": "customer.differs", "at": at, "data": data}


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
    written_by: str | None = None,
    deliver: bool = False,
    request_key: str | None = None,
    files: Sequence[replies.ReplyFile] = (),
) -> int:
    """Add a message from the customer or an agent; returns the message's id.

    `details` are stored with the message (a call's duration and outcome, e-mail headers...).
    `written_by` names who wrote a customer-side message when it is not the customer (a
    participant of the case): the message is stored under that name, never the customer's.
    With `deliver`, an agent's public reply is queued for the customer in the same transaction
    (without it, the message records an answer given elsewhere: a call, a chat); `request_key`
    (the caller's Idempotency-Key) makes a retried request return the reply it already made.
    `files` are kept with an agent's message and go with the reply as attachments.
    """
    if files:
        if request.author != "agent":
            raise Invalid("attachments come with an agent's message")
        replies.check_attachments(files)
    replying = deliver and request.author == "agent" and request.public
    key = None
    if replying and request_key:
        key = replies.reply_key(case_id, f"request|{actor.user_id}|{request_key}")
    case = _locked(session, case_id, None if key else if_match, actor)
    if key:
        # A retry of a request that went through answers with its reply: before the version
        # check, since that reply moved the version on.
        earlier = _earlier_reply(session, key, case_id)
        if earlier is not None:
            said = session.scalar(select(Message.body).where(Message.id == earlier))
            if said != request.body:
                raise Invalid(
                    "this Idempotency-Key was already used for another reply on this case; "
                    "use a new key for a new reply"
                )
            return earlier
        _check_version(case, if_match)
    at = _at(case, now)
    event: Event
    if request.author == "customer":
        event = CustomerMessage(
            at=from_us(at), case=str(case_id), body=request.body, channel=request.channel
        )
        author = written_by or case.customer_ref
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
    # Written before the change, so the notices it makes quote these very words.
    message_id = int(
        session.scalar(
            insert(table_of(Message)).returning(table_of(Message).c.id),
            {"case_id": case_id, **row},
        )
        or 0
    )
    _write(session, [change], now)
    search.add_messages(session, [(case_id, request.subject, request.body)])
    attached = (
        replies.store_attachments(
            session, case_id=case_id, message_row_id=message_id, files=files, now=now
        )
        if files
        else []
    )
    if replying:
        _queue_reply(
            session, case, change, message_id, request, actor, key, attached, at=at, now=now
        )
    return message_id


def _earlier_reply(session: Session, key: str, case_id: int) -> int | None:
    """The message a reply with this key already carried, if one was queued."""
    found = session.scalar(
        select(OutboxMessage.case_message_id).where(
            OutboxMessage.key == key, OutboxMessage.case_id == case_id
        )
    )
    return None if found is None else int(found)


def _queue_reply(
    session: Session,
    case: service.LoadedCase,
    change: service.Change,
    message_id: int,
    request: MessageIn,
    actor: Actor,
    key: str | None,
    attached: list[dict[str, Any]],
    *,
    at: int,
    now: int,
) -> None:
    """Write the outbox row that takes an agent's public reply to the customer."""
    directory = Directory(session)
    context = service.case_context(case, change.state)
    thread = directory.customer_threads([case.id]).get(case.id)
    # Times the customer reads are in their zone, as in every other message to them.
    context = replace(context, customer_thread=thread, timezone=context.customer_zone)
    person = directory.person(actor.agent) if actor.agent else None
    row = replies.reply_row(
        context=context,
        directory=directory,
        key=key or replies.reply_key(case.id, f"message|{message_id}"),
        message_row_id=message_id,
        text=request.body,
        author_name=person.name if person is not None else actor.name,
        subject=request.subject,
        at=from_us(at).astimezone(context.timezone).isoformat(),
        now=now,
        attachments=attached,
    )
    try:
        with session.begin_nested():
            session.execute(insert(OutboxMessage), [row])
    except IntegrityError:
        # The same request, retried while the first was still being written: it wins.
        raise Conflict(
            "this reply is already being sent by an earlier request with the same key"
        ) from None


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
    case = _locked(session, case_id, if_match, actor)
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
        data = _event_data(event)
        if isinstance(event, CaseUpdated) and event.category is not None:
            data["category_source"] = "person"
        change.entries.append({"kind": event.type, "at": at, "data": data})
    if request.root_cause is not None:
        if not events:
            change.state = case.state.copy()
            change.state.updated_at = at
        change.entries.append(
            {"kind": "case.root_cause", "at": at, "data": {"root_cause": request.root_cause}}
        )
    _write(session, [change], now)
    if request.category is not None:
        session.execute(
            update(table_of(Case))
            .where(table_of(Case).c.id == case_id)
            .values(category_source="person", category_confidence=None)
        )
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
    """Give the case to an agent, or back to its team's queue.

    Supervisors and admins hand any case they see to anyone; an agent takes an unassigned case
    for themselves or hands their own back (`assignment_refusal`).
    """
    case = _locked(session, case_id, if_match, actor)
    if assignee is not None:
        exists = session.scalar(select(Agent.id).where(Agent.handle == assignee, Agent.active))
        if exists is None:
            raise Invalid(f"no active agent has the handle {assignee!r}")
    if case.state.assignee == assignee:
        return
    refusal = assignment_refusal(actor, case.state.assignee, assignee)
    if refusal is not None:
        raise Forbidden(refusal)
    at = _at(case, now)
    state = engine.assign(case.state, assignee)
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {"kind": "case.assigned", "at": at, "data": {"from": case.state.assignee, "to": assignee}}
    )
    _write(session, [change], now)


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
    case = _locked(session, case_id, if_match, actor)
    _require_open(case, "escalate it")
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
    # The team that has the case now hears who moved it there and why.
    change.actions.extend(
        notices.manual_notice(action, change.state.team, _crew(session))
        for action in list(change.actions)
        if action.rule == "manual" and action.action in ("escalate", "route")
    )
    _write(session, [change], now)


def acknowledge(
    session: Session, *, case_id: int, actor: Actor, now: int, if_match: int | None
) -> None:
    """Take ownership of the case's latest escalation: the acknowledging agent, who must be of
    the level or team the case is at now, becomes its assignee."""
    case = _locked(session, case_id, if_match, actor)
    at = _at(case, now)
    # Fire what fell due first: an escalation that climbed meanwhile is the one acknowledged.
    change = service.Change(case, case.state, actor.name)
    change.add(engine.evaluate(case.state, case.policy, at, staffing=_crew(session)))
    if not change.state.awaiting_ack:
        raise Conflict(f"case {case_id} has no escalation waiting for acknowledgement")
    level = case.policy.levels[change.state.level].name
    acknowledging.require(session, actor=actor, level=level, team=change.state.team)
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
    case = _locked(session, case_id, if_match, actor)
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
    """Ask to grant an amount: granted at once within the requester's own authority, else
    pending until someone whose authority covers it decides (and the policy's
    `approval.requested` rules may escalate the case to a level that can).

    The requester's authority is their own (`escalon.cases.authority`), never the case level's,
    and the engine is given it so that `above_authority` compares with the person's.
    """
    case = _locked(session, case_id, if_match, actor)
    _require_open(case, "ask for an approval")
    policy = case.policy
    at = _at(case, now)
    own = authority.of_person(session, policy, agent=actor.agent, kind=request.kind)
    within = own.covers(request.amount)
    event = ApprovalRequested(
        at=from_us(at),
        case=str(case_id),
        agent=actor.name,
        kind=request.kind,
        amount=request.amount,
        authority=own.amount,
    )
    data = _event_data(event) | {"authority": own.shown(), "basis": own.basis}
    change = _apply(session, case, event, at, actor, None, data=data)
    approval = ApprovalRequest(
        case_id=case_id,
        kind=request.kind,
        amount=request.amount,
        note=request.note,
        requested_by=actor.name,
        requested_by_user_id=actor.user_id,
        requested_at=at,
        level=policy.levels[case.state.level].name,
        requester_authority=own.amount,
        requester_basis=own.basis,
        needed_level=authority.needed_level(policy, request.kind, request.amount),
        status="granted" if within else "pending",
        decided_by=actor.name if within else None,
        decided_by_user_id=actor.user_id if within else None,
        decided_at=at if within else None,
        decider_authority=own.amount if within else None,
        decider_basis=own.basis if within else None,
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
                    "by": actor.name,
                    "authority": own.shown(),
                    "basis": own.basis,
                },
            }
        )
    _write(session, [change], now)
    return approval.id


def decide_approval(
    session: Session, *, approval_id: int, request: ApprovalDecisionIn, actor: Actor, now: int
) -> int:
    """Approve or reject a pending request: a supervisor or admin other than the requester,
    whose own authority covers the amount. Of two deciders at once, one wins (409 for the
    other). Returns the case's id."""
    approval, case = _pending_approval(session, approval_id, actor)
    policy = case.policy
    theirs = authority.of_person(session, policy, agent=actor.agent, kind=approval.kind)
    refusal = _refusal(approval, actor, theirs)
    if refusal is not None:
        raise Forbidden(f"{refusal}; {_who_may(session, policy, approval)}")
    status = "approved" if request.decision == "approve" else "rejected"
    at = _at(case, now)
    _settle(
        session,
        approval,
        status=status,
        actor=actor,
        at=at,
        note=request.note,
        decider=theirs,
    )
    state = case.state.copy()
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {
            "kind": f"approval.{status}",
            "at": at,
            "data": {
                "approval": approval.id,
                "kind": approval.kind,
                "amount": approval.amount,
                "requested_by": approval.requested_by,
                "by": actor.name,
                "authority": theirs.shown(),
                "basis": theirs.basis,
                "note": request.note,
            },
        }
    )
    _write(session, [change], now, flush_first=True)
    return approval.case_id


def withdraw_approval(session: Session, *, approval_id: int, actor: Actor, now: int) -> int:
    """The requester takes back their own pending request; returns the case's id."""
    approval, case = _pending_approval(session, approval_id, actor)
    if not _asked_by(approval, actor):
        raise Forbidden(
            f"only {approval.requested_by}, who asked for approval request {approval_id}, "
            "may withdraw it; others approve or reject it"
        )
    at = _at(case, now)
    _settle(session, approval, status="withdrawn", actor=actor, at=at, note="", decider=None)
    state = case.state.copy()
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {
            "kind": "approval.withdrawn",
            "at": at,
            "data": {
                "approval": approval.id,
                "kind": approval.kind,
                "amount": approval.amount,
                "by": actor.name,
            },
        }
    )
    _write(session, [change], now, flush_first=True)
    return approval.case_id


def _pending_approval(
    session: Session, approval_id: int, actor: Actor
) -> tuple[ApprovalRequest, service.LoadedCase]:
    """A request that still waits, and its case, locked (the case first, as every case write
    locks it, so two decisions on one request queue up and the second sees the first)."""
    case_id = session.scalar(
        select(ApprovalRequest.case_id).where(ApprovalRequest.id == approval_id)
    )
    if case_id is None or not visibility.visible(session, _scope(session, actor), case_id):
        raise NotFound(f"approval request {approval_id} does not exist")
    case = _locked(session, case_id, None, actor)
    approval = session.get(
        ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
    )
    assert approval is not None  # requests are never deleted
    if approval.status != "pending":
        raise Conflict(f"approval request {approval_id} is already {approval.status}")
    return approval, case


def _settle(
    session: Session,
    approval: ApprovalRequest,
    *,
    status: str,
    actor: Actor,
    at: int,
    note: str,
    decider: authority.Authority | None,
) -> None:
    """Write a decision, only if the request still waits (one decision ever, whatever races)."""
    settled = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == approval.id, ApprovalRequest.status == "pending")
        .values(
            status=status,
            decided_by=actor.name,
            decided_by_user_id=actor.user_id,
            decided_at=at,
            decision_note=note,
            decider_authority=None if decider is None else decider.amount,
            decider_basis=None if decider is None else decider.basis,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(settled, "rowcount", 1) != 1:
        raise Conflict(f"approval request {approval.id} was decided meanwhile")
    session.expire(approval)


@dataclass(frozen=True, slots=True)
class PendingRights:
    """What a person may do about a pending request, and who may decide it."""

    may_decide: bool
    may_withdraw: bool
    refusal: str | None  # why they may not decide
    deciders: tuple[str, ...]
    needed_level: str | None


def pending_rights(
    session: Session, *, case_id: int, policy: Policy, actor: Actor
) -> dict[int, PendingRights]:
    """For each pending request of a case: what the actor may do about it (the same checks
    as deciding and withdrawing), and who may decide it."""
    pending = session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.case_id == case_id, ApprovalRequest.status == "pending"
        )
    )
    rights = {}
    for approval in pending:
        theirs = authority.of_person(session, policy, agent=actor.agent, kind=approval.kind)
        refusal = _refusal(approval, actor, theirs)
        people = authority.deciders(
            session,
            policy,
            kind=approval.kind,
            amount=approval.amount,
            requester=approval.requested_by,
        )
        rights[approval.id] = PendingRights(
            may_decide=refusal is None,
            may_withdraw=_asked_by(approval, actor),
            refusal=refusal,
            deciders=tuple(people),
            needed_level=authority.needed_level(policy, approval.kind, approval.amount),
        )
    return rights


def _refusal(approval: ApprovalRequest, actor: Actor, theirs: authority.Authority) -> str | None:
    """Why the actor may not decide a request (None: they may)."""
    if actor.role not in authority.DECIDING_ROLES:
        return "only supervisors and admins decide approval requests"
    if _asked_by(approval, actor):
        return (
            f"you asked for it: approval request {approval.id} must be decided by someone "
            "else whose authority covers it"
        )
    if not theirs.covers(approval.amount):
        return (
            f"{approval.kind} of {approval.amount:g} is above your authority: "
            f"{_whose(actor, theirs)}"
        )
    return None


def _asked_by(approval: ApprovalRequest, actor: Actor) -> bool:
    """Whether the actor made the request: the same user, or the same name (an agent's handle
    is one person's, whichever user acts as it now)."""
    if approval.requested_by_user_id is not None and approval.requested_by_user_id == actor.user_id:
        return True
    return approval.requested_by == actor.name


def _whose(actor: Actor, held: authority.Authority) -> str:
    """The actor's authority in words, for a refusal."""
    if actor.agent is None:
        return f"user {actor.name!r} is not linked to an agent, so may grant nothing"
    return f"{actor.agent} may decide up to {held.words()} ({held.basis})"


def _who_may(session: Session, policy: Policy, approval: ApprovalRequest) -> str:
    """Who may decide a request, for a refusal."""
    level = authority.needed_level(policy, approval.kind, approval.amount)
    needed = (
        f"it needs the authority of level {level!r} or above"
        if level is not None
        else "no level's authority covers it: it needs someone whose own limit does"
    )
    people = authority.deciders(
        session,
        policy,
        kind=approval.kind,
        amount=approval.amount,
        requester=approval.requested_by,
    )
    return f"{needed} ({'who may: ' + ', '.join(people) if people else 'nobody may now'})"


def answer_survey(
    session: Session, *, case_id: int, request: SurveyIn, actor: Actor, now: int
) -> None:
    """Record the customer's satisfaction score."""
    case = _locked(session, case_id, None, actor)
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
    case = _locked(session, case_id, if_match, actor)
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
        customer_timezone=case.customer_timezone,
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


def _scope(session: Session, actor: Actor) -> visibility.Scope:
    """The cases the actor may see and act on."""
    return visibility.scope(session, role=actor.role, agent=actor.agent, mode=actor.visibility)


def _locked(
    session: Session, case_id: int, if_match: int | None, actor: Actor
) -> service.LoadedCase:
    """The case, locked for a change by the actor: NotFound when they may not see it."""
    case = service.lock_case(session, case_id)
    scope = _scope(session, actor)
    if not scope.everything:  # checked on the locked row: it cannot move out of scope meanwhile
        visibility.require(session, scope, case_id)
    _check_version(case, if_match)
    return case


def _check_version(case: service.LoadedCase, if_match: int | None) -> None:
    """StaleVersion unless the case is at the version the caller based its request on."""
    if if_match is not None and if_match != case.version:
        raise StaleVersion(
            f"case {case.id} is at version {case.version}, not {if_match}: "
            "someone changed it; read it again and retry"
        )


def _require_open(case: service.LoadedCase, what: str) -> None:
    """Refuse to act on a resolved or closed case: it is reopened first (a status change)."""
    if case.state.status in STOPPED_STATUSES:
        raise Conflict(f"case #{case.id} is {case.state.status}: reopen it before you {what}")


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
