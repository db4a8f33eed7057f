"""Reading cases for people: one case, filtered pages, messages, escalations, SLA and audit."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import Session

from escalon.cases import search, visibility
from escalon.cases.models import ApprovalRequest, AuditEntry, Case, Customer, Escalation, Message
from escalon.cases.schemas import (
    ApprovalOut,
    AttachmentOut,
    AttributionOut,
    AuditEntryOut,
    AuditPage,
    AuthorityOut,
    BreachForecastOut,
    CaseOut,
    CasePage,
    ClockOut,
    CustomerOut,
    CustomerRef,
    Deadline,
    Deadlines,
    DeliveryOut,
    EscalationOut,
    HolderTimeOut,
    MessageOut,
    NeedsOut,
    OlaOut,
    PolicyRef,
    SlaOut,
    instant,
)
from escalon.cases.service import case_timezone
from escalon.channels.models import Attachment
from escalon.core.attribution import PARTIES, attribute
from escalon.core.codec import state_from_json
from escalon.core.ola import ola_view
from escalon.core.policy import Policy
from escalon.core.sla import calendar_of, clock_views, follows_customer
from escalon.core.state import CaseState, from_us
from escalon.database.base import table_of
from escalon.errors import EscalonError, NotFound
from escalon.forecast import breach as breach_forecast
from escalon.learning.models import TopicCase
from escalon.notifications.models import OutboxMessage
from escalon.outputs import from_row
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion

US = 1_000_000
SEARCH_IDS = 1000
# The queue's order, written as the index `ix_cases_due_order` is (a literal, not a parameter,
# so the database sees they are the same): cases with a due instant first, soonest first.
DUE_ORDER = func.coalesce(
    Case.due_at, literal_column("4611686018427387904")
)  # up to this many matches, a search reads the matching cases by their ids
_CASES = table_of(Case)
_CASE_SELECT = (
    select(
        *_CASES.c,
        Customer.ref.label("customer_ref"),
        Customer.name.label("customer_name"),
        PolicyVersion.name.label("policy_name"),
        PolicyVersion.version.label("policy_version"),
    )
    .join(Customer, Customer.id == _CASES.c.customer_id)
    .join(PolicyVersion, PolicyVersion.id == _CASES.c.policy_version_id)
)
_ONE_CASE = _CASE_SELECT.where(_CASES.c.id == bindparam("case_id"))


def case_out(row: Mapping[Any, Any], tags: Sequence[str] | None = None) -> CaseOut:
    """A case as the API shows it, from its row joined to customer and policy version."""
    if tags is None:
        tags = json.loads(row["state"]).get("tags", [])
    return CaseOut(
        id=row["id"],
        customer=CustomerRef(
            id=row["customer_id"], ref=row["customer_ref"], name=row["customer_name"]
        ),
        subject=row["subject"],
        channel=row["channel"],
        category=row["category"],
        category_source=row.get("category_source"),
        category_confidence=row.get("category_confidence"),
        tier=row["tier"],
        priority=row["priority"],
        status=row["status"],
        level=row["level"],
        team=row["team"],
        assignee=row["assignee"],
        escalations=row["escalations"],
        awaiting_acknowledgement=row["awaiting_ack"],
        reopened=row["reopened"],
        tags=list(tags),
        policy=PolicyRef(
            id=row["policy_version_id"], name=row["policy_name"], version=row["policy_version"]
        ),
        opened_at=from_us(row["opened_at"]),
        updated_at=from_us(row["updated_at"]),
        resolved_at=instant(row["resolved_at"]),
        root_cause=row.get("root_cause"),
        root_cause_code=row.get("root_cause_code"),
        due_at=instant(row["due_at"]),
        warning_at=instant(row.get("warn_at")),
        next_check_at=instant(row["next_check_at"]),
        version=row["version"],
    )


def get_case(
    session: Session, case_id: int, *, scope: visibility.Scope, now: int | None = None
) -> CaseOut:
    """One case; NotFound otherwise, or when it is not in `scope`. With `now`, whose time its
    time was and its OLA clock, measured then."""
    query = _ONE_CASE
    condition = scope.where()
    if condition is not None:
        query = query.where(condition)
    row = session.execute(query, {"case_id": case_id}).first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    found = case_out(row._mapping)
    if now is None:
        return found
    state = state_from_json(row._mapping["state"])
    policy = policies.compiled(session, row._mapping["policy_version_id"])
    at = max(now, state.updated_at)
    return found.model_copy(
        update={
            "attribution": attribution_out(policy, state, at),
            "ola": ola_out(policy, state, at),
        }
    )


def attribution_out(policy: Policy, state: CaseState, at: int) -> AttributionOut:
    """Whose time the case's time was up to `at`, as the API shows it."""
    level = (
        policy.levels[state.level].name if state.level < len(policy.levels) else str(state.level)
    )
    found = attribute(state, at, level=level)
    return AttributionOut(
        measured_at=from_us(at),
        elapsed_seconds=found.elapsed / US,
        parties={party: found.parties.get(party, 0) / US for party in PARTIES},
        teams={team: spent / US for team, spent in found.by_team().items()},
        levels={name: spent / US for name, spent in found.by_level().items()},
        holders=[
            HolderTimeOut(team=team, level=name, assignee=person, seconds=spent / US)
            for (team, name, person), spent in found.holders.items()
        ],
    )


def ola_out(policy: Policy, state: CaseState, at: int) -> OlaOut | None:
    """The case's latest OLA cycle measured at `at` (None when it never had one)."""
    view = ola_view(policy.ola, state, at)
    if view is None:
        return None
    return OlaOut(
        team=view.team,
        cycle=view.cycle,
        started_at=from_us(view.started_at),
        target_seconds=None if view.target is None else view.target / US,
        counted_seconds=view.counted / US,
        warning_at=instant(view.warning_at),
        due_at=instant(view.due_at),
        running=view.running,
        paused=view.paused,
        outcome=view.outcome,
        breached=view.breached,
    )


@dataclass(frozen=True, slots=True)
class EscalationFilter:
    """Cases with an escalation up matching all of these: held by this person when it moved
    (the coaching figures), by this rule, to this level, at an instant in [after, before)."""

    holder: str | None = None
    rule: str | None = None
    level: str | None = None
    after: int | None = None
    before: int | None = None


@dataclass(frozen=True, slots=True)
class CaseFilters:
    """What a list of cases may be narrowed by."""

    status: list[str] | None = None
    priority: list[str] | None = None
    level: list[str] | None = None
    team: list[str] | None = None
    assignee: str | None = None
    unassigned: bool | None = None
    customer_id: int | None = None
    escalated: bool | None = None
    awaiting_acknowledgement: bool | None = None
    channel: list[str] | None = None
    category: list[str] | None = None
    q: str | None = None  # words of the customer, subject or messages (escalon.cases.search)
    due: list[str] | None = None  # the clock that falls due first: first_response, ...
    opened_after: int | None = None
    opened_before: int | None = None
    # Root causes named at resolution: a policy's code, or the words of a cause without one.
    root_cause: list[str] | None = None
    resolved_after: int | None = None
    resolved_before: int | None = None
    escalation: EscalationFilter | None = None
    # Recurring topics of a stored topic run (`escalon.learning.topic_runs`), by their ids.
    topic: list[int] | None = None


def _escalation_condition(filters: CaseFilters) -> list[Any] | None:
    """What a case's escalation must match for the escalation filter (None: no such filter)."""
    wanted = filters.escalation
    if wanted is None:
        return None
    found: list[Any] = [
        column == value
        for column, value in (
            (Escalation.holder, wanted.holder),
            (Escalation.rule, wanted.rule),
            (Escalation.to_level, wanted.level),
        )
        if value is not None
    ]
    if wanted.after is not None:
        found.append(Escalation.at >= wanted.after)
    if wanted.before is not None:
        found.append(Escalation.at < wanted.before)
    return [Escalation.action == "escalate", *found] if found else None


def _decode_cursor(cursor: str, sort: str) -> tuple[int | None, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
        if not isinstance(data, dict) or data.get("sort") != sort:
            raise ValueError
        value, last_id = data["value"], data["id"]
        if not isinstance(last_id, int) or not (value is None or isinstance(value, int)):
            raise ValueError
        # Beyond 64 bits the database refuses the number (a 500); no real cursor holds one.
        if abs(last_id) > 2**62 or (value is not None and abs(value) > 2**62):
            raise ValueError
    except (ValueError, KeyError, binascii.Error, UnicodeDecodeError):
        raise EscalonError(
            "cursor is not one this list gave out (for this sort order); start without it"
        ) from None
    return value, last_id


def _encode_cursor(sort: str, value: int | None, last_id: int) -> str:
    raw = json.dumps({"sort": sort, "value": value, "id": last_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def list_cases(
    session: Session,
    filters: CaseFilters,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    scope: visibility.Scope,
) -> CasePage:
    """A page of the cases in `scope` matching the filters, in a stable order (keyset
    pagination)."""
    query = _CASE_SELECT
    conditions = _conditions(session, filters, scope)
    after = _decode_cursor(cursor, sort) if cursor else None
    if sort == "due":
        # Cases with a due instant first, soonest first; then the others, by id.
        big = 2**62
        due = DUE_ORDER
        if after is not None:
            value = big if after[0] is None else after[0]
            conditions.append(or_(due > value, and_(due == value, Case.id > after[1])))
        query = query.order_by(due, Case.id)
    elif sort == "opened":
        if after is not None:
            conditions.append(Case.id > after[1])
        query = query.order_by(Case.id)
    else:
        if after is not None:
            conditions.append(Case.id < after[1])
        query = query.order_by(Case.id.desc())
    rows = session.execute(query.where(*conditions).limit(limit + 1)).all()
    items = [case_out(row._mapping) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]._mapping
        next_cursor = _encode_cursor(sort, last["due_at"] if sort == "due" else None, last["id"])
    return CasePage(items=items, next_cursor=next_cursor)


def _conditions(session: Session, filters: CaseFilters, scope: visibility.Scope) -> list[Any]:
    """The SQL conditions of the filters on `cases`, the caller's scope first."""
    conditions: list[Any] = []
    if (condition := scope.where()) is not None:
        conditions.append(condition)
    for column, values in (
        (Case.status, filters.status),
        (Case.priority, filters.priority),
        (Case.level, filters.level),
        (Case.team, filters.team),
        (Case.channel, filters.channel),
        (Case.category, filters.category),
    ):
        if values:
            conditions.append(column.in_(values))
    if filters.assignee is not None:
        conditions.append(Case.assignee == filters.assignee)
    if filters.unassigned is not None:
        conditions.append(
            Case.assignee.is_(None) if filters.unassigned else Case.assignee.isnot(None)
        )
    if filters.customer_id is not None:
        conditions.append(Case.customer_id == filters.customer_id)
    if filters.escalated is not None:
        conditions.append(Case.escalations > 0 if filters.escalated else Case.escalations == 0)
    if filters.awaiting_acknowledgement is not None:
        conditions.append(Case.awaiting_ack.is_(filters.awaiting_acknowledgement))
    if filters.q:
        # A few matches: their ids, so the database reads just those cases. Many: the index's
        # query as a condition, met soon by the cases in the list's order.
        ids = search.matching_ids(session, filters.q, cap=SEARCH_IDS)
        if ids is None:
            dialect = session.get_bind().dialect.name
            conditions.append(Case.id.in_(search.matching(dialect, filters.q)))
        else:
            conditions.append(Case.id.in_(ids))
    if filters.due:
        conditions.append(Case.due_clock.in_(filters.due))
    if filters.opened_after is not None:
        conditions.append(Case.opened_at >= filters.opened_after)
    if filters.opened_before is not None:
        conditions.append(Case.opened_at < filters.opened_before)
    if filters.root_cause:
        conditions.append(
            or_(
                Case.root_cause_code.in_(filters.root_cause),
                and_(Case.root_cause_code.is_(None), Case.root_cause.in_(filters.root_cause)),
            )
        )
    if (moved := _escalation_condition(filters)) is not None:
        conditions.append(Case.id.in_(select(Escalation.case_id).where(*moved)))
    if filters.resolved_after is not None:
        conditions.append(Case.resolved_at >= filters.resolved_after)
    if filters.resolved_before is not None:
        conditions.append(Case.resolved_at < filters.resolved_before)
    if filters.topic:
        grouped = select(TopicCase.case_id).where(TopicCase.topic_id.in_(filters.topic))
        conditions.append(Case.id.in_(grouped))
    return conditions


def _require_case(session: Session, case_id: int, scope: visibility.Scope) -> None:
    visibility.require(session, scope, case_id)


def message_out(
    m: Message,
    delivery: DeliveryOut | None = None,
    attachments: list[AttachmentOut] | None = None,
) -> MessageOut:
    """A message as the API shows it."""
    return from_row(
        MessageOut, m, instants=("at",), attachments=attachments or [], delivery=delivery
    )


def delivery_out(row: OutboxMessage) -> DeliveryOut:
    """A reply's outbox row as its message's delivery state (never the receiver's answer,
    which is for admins only)."""
    sent = row.status == "delivered"
    if sent and row.transport == "log":
        state = "not_sent"
    elif sent:
        state = "sent"
    elif row.status == "pending":
        state = "queued"
    elif row.status == "cancelled":
        state = "cancelled"
    elif row.status == "captured":
        state = "captured"
    else:
        state = "failed"
    note = (row.payload or {}).get("note")
    if state == "not_sent" and not note:
        note = "no mail server is configured: written to the log only"
    return DeliveryOut(
        state=state,
        channel=row.channel,
        to=row.address,
        reason=row.last_error or note,
        attempts=row.attempts,
        sent_at=instant(row.delivered_at),
        next_attempt_at=instant(row.next_attempt_at) if state == "queued" else None,
    )


def deliveries(session: Session, message_ids: Sequence[int]) -> dict[int, DeliveryOut]:
    """The delivery state of each of these messages that is a reply sent from Escalon."""
    if not message_ids:
        return {}
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_message_id.in_(message_ids))
    )
    return {int(row.case_message_id or 0): delivery_out(row) for row in rows}


def messages(
    session: Session,
    case_id: int,
    *,
    public_only: bool,
    scope: visibility.Scope,
    with_delivery: bool = True,
) -> list[MessageOut]:
    """A case's messages, oldest first; replies with their delivery state (`with_delivery`)."""
    _require_case(session, case_id, scope)
    query = select(Message).where(Message.case_id == case_id).order_by(Message.at, Message.id)
    if public_only:
        query = query.where(Message.public)
    found = list(session.scalars(query))
    states = deliveries(session, [m.id for m in found if m.author_kind == "agent" and m.public])
    files = attachments_of(session, [m.id for m in found])
    return [
        message_out(m, states.get(m.id) if with_delivery else None, files.get(m.id)) for m in found
    ]


def attachments_of(session: Session, message_ids: Sequence[int]) -> dict[int, list[AttachmentOut]]:
    """The files kept with each of these messages (without their content)."""
    if not message_ids:
        return {}
    found: dict[int, list[AttachmentOut]] = {}
    rows = session.execute(
        select(
            Attachment.message_row_id,
            Attachment.id,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
        )
        .where(Attachment.message_row_id.in_(message_ids))
        .order_by(Attachment.id)
    )
    for message_id, file_id, filename, content_type, size in rows:
        found.setdefault(int(message_id or 0), []).append(
            AttachmentOut(id=file_id, filename=filename, content_type=content_type, size=size)
        )
    return found


def get_message(session: Session, message_id: int) -> MessageOut:
    """One message, with its delivery state; NotFound otherwise."""
    found = session.get(Message, message_id)
    if found is None:
        raise NotFound(f"message {message_id} does not exist")
    return message_out(
        found,
        deliveries(session, [message_id]).get(message_id),
        attachments_of(session, [message_id]).get(message_id),
    )


def escalation_out(e: Escalation) -> EscalationOut:
    """One escalation record as the API shows it."""
    return from_row(EscalationOut, e, instants=("at", "recorded_at", "acknowledged_at"))


def escalations(session: Session, case_id: int, *, scope: visibility.Scope) -> list[EscalationOut]:
    """A case's escalations, de-escalations and routings, oldest first."""
    _require_case(session, case_id, scope)
    query = select(Escalation).where(Escalation.case_id == case_id).order_by(Escalation.id)
    return [escalation_out(e) for e in session.scalars(query)]


def approval_out(a: ApprovalRequest) -> ApprovalOut:
    """One approval request as the API shows it."""
    return from_row(
        ApprovalOut,
        a,
        instants=("requested_at", "decided_at"),
        requester_authority=_authority_out(a.requester_authority, a.requester_basis),
        needs=None
        if a.requester_basis is None
        else NeedsOut(amount=a.amount, level=a.needed_level),
        decider_authority=_authority_out(a.decider_authority, a.decider_basis),
    )


def _authority_out(amount: float | None, basis: str | None) -> AuthorityOut | None:
    if amount is None or basis is None:
        return None  # a request made before authority belonged to people
    return AuthorityOut(amount="unlimited" if math.isinf(amount) else amount, basis=basis)


def approvals(session: Session, case_id: int, *, scope: visibility.Scope) -> list[ApprovalOut]:
    """A case's approval requests, oldest first."""
    _require_case(session, case_id, scope)
    query = select(ApprovalRequest).where(ApprovalRequest.case_id == case_id)
    return [approval_out(a) for a in session.scalars(query.order_by(ApprovalRequest.id))]


def get_approval(session: Session, approval_id: int, *, scope: visibility.Scope) -> ApprovalOut:
    """One approval request; NotFound otherwise, or when its case is not in `scope`."""
    found = session.get(ApprovalRequest, approval_id)
    if found is None or not visibility.visible(session, scope, found.case_id):
        raise NotFound(f"approval request {approval_id} does not exist")
    return approval_out(found)


def sla(session: Session, case_id: int, now: int, *, scope: visibility.Scope) -> SlaOut:
    """Every SLA clock of a case, measured at `now`."""
    query = (
        select(Case.state, Case.policy_version_id, Case.status, PolicyVersion.fingerprint)
        .join(PolicyVersion, PolicyVersion.id == Case.policy_version_id)
        .where(Case.id == case_id)
    )
    if (condition := scope.where()) is not None:
        query = query.where(condition)
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    state = state_from_json(row[0])
    policy = policies.compiled(session, row[1], row[3])
    at = max(now, state.updated_at)
    sla_spec = policy.slas[state.sla] if state.sla is not None else None
    zone = case_timezone(policy, state)
    clocks = [
        ClockOut(
            metric=view.metric,
            cycle=view.cycle,
            started_at=from_us(view.started_at).astimezone(zone),
            target_seconds=None if view.target is None else view.target / US,
            counted_seconds=view.counted / US,
            remaining_seconds=None if view.remaining is None else view.remaining / US,
            warning_at=None
            if view.warning_at is None
            else from_us(view.warning_at).astimezone(zone),
            due_at=None if view.due_at is None else from_us(view.due_at).astimezone(zone),
            paused=view.paused,
            running=view.running,
            warned=view.warned,
            breached=view.breached,
        )
        for view in clock_views(policy, state, at)
    ]
    forecast = breach_forecast.case_forecast(session, policy, state, case_id, at)
    calendar = None
    if sla_spec is not None:
        calendar = "customer" if follows_customer(policy, state) else sla_spec.calendar_name
    return SlaOut(
        case_id=case_id,
        sla=None if sla_spec is None else sla_spec.name,
        calendar=calendar,
        always_open=calendar_of(policy, state).always,
        timezone=str(zone),
        measured_at=from_us(at).astimezone(zone),
        status=row[2],
        clocks=clocks,
        breach_forecast=None
        if forecast is None
        else BreachForecastOut(
            metric=forecast.metric,
            due_at=from_us(forecast.due_us).astimezone(zone),
            probability=round(forecast.probability, 4),
            cases_ahead=forecast.ahead,
            expected_answers_before_due=round(forecast.expected_answers, 2),
            source="model" if forecast.model else "queue",
        ),
    )


def deadlines(clocks: SlaOut, viewer: tzinfo | None) -> Deadlines:
    """Every running clock's due instant from a case's SLA clocks, in the calendar's zone and
    the viewer's (the calendar's when the viewer has none)."""
    shown = viewer if viewer is not None else ZoneInfo(clocks.timezone)
    found = []
    for clock in clocks.clocks:
        if not clock.running:
            continue
        state: Literal["running", "warning", "paused", "breached"] = "running"
        if clock.breached:
            state = "breached"
        elif clock.paused:
            state = "paused"
        elif clock.warned:
            state = "warning"
        due = clock.due_at
        found.append(
            Deadline(
                metric=clock.metric,
                cycle=clock.cycle,
                state=state,
                due_at=due,
                due_at_viewer=None if due is None else due.astimezone(shown),
                warning_at=clock.warning_at,
                remaining_seconds=clock.remaining_seconds,
            )
        )
    found.sort(key=lambda item: (item.due_at is None, item.due_at))
    return Deadlines(
        calendar=clocks.calendar,
        timezone=clocks.timezone,
        viewer_timezone=str(shown),
        clocks=found,
    )


def audit(
    session: Session, case_id: int, *, after: int | None, limit: int, scope: visibility.Scope
) -> AuditPage:
    """Part of a case's audit trail, in the order it was written."""
    _require_case(session, case_id, scope)
    query = select(AuditEntry).where(AuditEntry.case_id == case_id)
    if after is not None:
        query = query.where(AuditEntry.id > after)
    rows = list(session.scalars(query.order_by(AuditEntry.id).limit(limit + 1)))
    items = [from_row(AuditEntryOut, e, instants=("at", "recorded_at")) for e in rows[:limit]]
    return AuditPage(items=items, next_after=items[-1].id if len(rows) > limit else None)


def last_audit_id(session: Session, case_id: int) -> int:
    """The id of the case's latest audit entry (0 when it has none): where a change begins."""
    found = session.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.case_id == case_id))
    return int(found or 0)


def customer_out(customer: Customer) -> CustomerOut:
    """A customer as the API shows it."""
    return from_row(CustomerOut, customer, instants=("created_at", "updated_at"))
