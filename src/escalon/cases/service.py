"""Data access for cases: load a case with its engine state, and write what the engine decided.

The use cases and the worker both end in `write_changes`: it composes the rows of each concern
(the case row here; `records` for audit, escalations, clock events and messages; `telling` for
outbox and in-app notifications; `workload` for people's counts) and writes them in the caller's
transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from escalon.cases import idempotency, records, search, telling, workload
from escalon.cases.models import (
    AuditEntry,
    Case,
    ClockEvent,
    Customer,
    Escalation,
    IdempotencyKey,
    Message,
)
from escalon.cases.workload import holder_of
from escalon.channels.models import StaffNotification
from escalon.core.codec import state_from_json, state_to_json
from escalon.core.engine import Action, Decision
from escalon.core.engine import ClockEvent as CoreClockEvent
from escalon.core.policy import Policy
from escalon.core.sla import RESPONSE_METRICS, calendar_of, earliest_due, first_due_clock
from escalon.core.staffing import Staffing
from escalon.core.state import STOPPED_STATUSES, CaseState
from escalon.database import bulk
from escalon.database.base import table_of
from escalon.errors import Conflict, NotFound
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import CaseContext, CustomerMessages
from escalon.people.directory import Directory
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion

_CASES = table_of(Case)


@dataclass(slots=True)
class LoadedCase:
    """A case as a use case or the worker works on it: its row's key facts and its engine state."""

    id: int
    version: int
    policy_version_id: int
    customer_id: int
    subject: str
    customer_ref: str
    customer_name: str | None
    customer_email: str | None
    state: CaseState
    policy: Policy
    # The customer's own IANA zone, when known: the times in messages to them.
    customer_timezone: str | None = None
    # Whose open case this was when loaded (its assignee, unless resolved or closed): the
    # agents' open-case counts move by what a change does to it.
    holder: str | None = None
    # Its status when loaded: a change that resolves it tells the customer so.
    status: str | None = None
    # Its assignee when loaded. The worker hands the engine the loaded state to change in place
    # (`reuse=True`), so `state` may already say who has it after the change.
    assignee: str | None = None


@dataclass(slots=True)
class Change:
    """What to write for one case: its new state, what the engine did, and what caused it."""

    case: LoadedCase
    state: CaseState
    actor: str
    actions: list[Action] = field(default_factory=list)
    clock_events: list[CoreClockEvent] = field(default_factory=list)
    # Audit entries for the cause (the request): dicts with kind, at and data.
    entries: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    new: bool = False
    # The case row's columns as written (set by `write_changes`).
    columns: dict[str, Any] | None = None
    # A new case's category source and confidence (`escalon.cases.categories`).
    category_origin: tuple[str | None, float | None] = (None, None)

    def add(self, decision: Decision) -> None:
        """Take one more decision on this case (the state moves on to the decision's)."""
        self.state = decision.state
        self.actions.extend(decision.actions)
        self.clock_events.extend(decision.clock_events)


_LOAD_COLUMNS = (
    Case.id,
    Case.version,
    Case.policy_version_id,
    Case.customer_id,
    Case.subject,
    Case.state,
    Customer.ref,
    Customer.name,
    Customer.email,
    PolicyVersion.fingerprint,
    Customer.timezone,
)


def load_query(*, lock: bool, skip_locked: bool = False) -> Any:
    """SELECT of what a LoadedCase needs, joined to the customer, optionally locking the case.

    With `skip_locked`, rows another transaction holds are passed over (PostgreSQL), which is
    how concurrent workers share the due cases without waiting for each other.
    """
    query = (
        select(*_LOAD_COLUMNS)
        .join(Customer, Customer.id == Case.customer_id)
        .join(PolicyVersion, PolicyVersion.id == Case.policy_version_id)
    )
    if lock:
        query = query.with_for_update(of=Case, skip_locked=skip_locked)
    return query


def loaded_from_row(row: Any, policy: Policy) -> LoadedCase:
    """A LoadedCase from a row of `load_query`."""
    state = state_from_json(row[5])
    return LoadedCase(
        id=row[0],
        version=row[1],
        policy_version_id=row[2],
        customer_id=row[3],
        subject=row[4],
        state=state,
        customer_ref=row[6],
        customer_name=row[7],
        customer_email=row[8],
        customer_timezone=row[10],
        policy=policy,
        holder=holder_of(state),
        status=state.status,
        assignee=state.assignee,
    )


def lock_case(session: Session, case_id: int) -> LoadedCase:
    """Load a case for a change, locking its row (PostgreSQL; SQLite's writers hold the file)."""
    row = session.execute(load_query(lock=True).where(Case.id == case_id)).first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    return loaded_from_row(row, policy_of_row(session, row))


def policy_of_row(session: Session, row: Any) -> Policy:
    """The compiled policy of a row of `load_query`."""
    return policies.compiled(session, row[2], row[9])


@dataclass(frozen=True, slots=True)
class OpeningFacts:
    """What opening a case needs to know, read in one round trip."""

    policy_version_id: int
    policy_fingerprint: str
    case_id: int
    customer_id: int | None
    customer_ref: str | None
    customer_name: str | None
    customer_email: str | None
    customer_tier: str | None
    replay_case_id: int | None
    replay_hash: str | None
    customer_timezone: str | None = None


def opening_facts(
    session: Session,
    *,
    customer_ref: str | None,
    customer_id: int | None,
    user_id: int | None,
    idempotency_key: str | None,
) -> OpeningFacts | None:
    """The active policy, the new case's id, the customer and any earlier request under the
    same Idempotency-Key, in one statement. None when no policy is active."""
    dialect = session.get_bind().dialect.name
    by_ref = customer_ref is not None
    statement = _OPENING_FACTS.get((dialect, by_ref))
    if statement is None:
        statement = _OPENING_FACTS[(dialect, by_ref)] = _opening_facts_statement(dialect, by_ref)
    # Core execution on the session's connection: this statement returns no ORM entities.
    row = (
        session.connection()
        .execute(
            statement,
            {
                "customer": customer_ref if by_ref else customer_id,
                "user_id": user_id,
                "idempotency_key": idempotency_key,
            },
        )
        .first()
    )
    if row is None:
        return None
    return OpeningFacts(*row)


# Built once per dialect and way of naming the customer: building a statement costs more than
# running this one.
_OPENING_FACTS: dict[tuple[str, bool], Any] = {}


def _opening_facts_statement(dialect: str, by_ref: bool) -> Any:
    if dialect == "postgresql":
        next_id: Any = func.nextval(func.pg_get_serial_sequence("cases", "id"))
    else:
        # SQLite: writers hold the database's write lock (BEGIN IMMEDIATE), so max + 1 is ours.
        next_id = select(func.coalesce(func.max(Case.id), 0) + 1).scalar_subquery()
    which = (Customer.ref if by_ref else Customer.id) == bindparam("customer")
    earlier = idempotency.earlier_request()
    return (
        select(
            PolicyVersion.id,
            PolicyVersion.fingerprint,
            next_id,
            Customer.id,
            Customer.ref,
            Customer.name,
            Customer.email,
            Customer.tier,
            IdempotencyKey.case_id,
            IdempotencyKey.request_hash,
            Customer.timezone,
        )
        .select_from(PolicyVersion)
        .outerjoin(Customer, which)
        .outerjoin(IdempotencyKey, earlier)
        .where(PolicyVersion.active)
    )


def case_columns(state: CaseState, policy: Policy) -> dict[str, Any]:
    """The case row's columns that mirror the engine state."""
    stopped = state.status in STOPPED_STATUSES
    resolution = state.resolution_business_us
    due, warning, due_clock = first_due_clock(policy, state)
    return {
        "status": state.status,
        "priority": state.priority,
        "level": policy.levels[state.level].name,
        "level_rank": state.level,
        "team": state.team,
        "tier": state.tier,
        "category": state.category,
        "channel": state.channel,
        "assignee": state.assignee,
        "escalations": state.escalations,
        "awaiting_ack": state.awaiting_ack,
        "reopened": state.reopened,
        "resolved_at": state.resolved_at if stopped else None,
        "resolution_business_seconds": (
            resolution / 1_000_000 if stopped and resolution is not None else None
        ),
        "survey_score": state.survey_score,
        "due_at": due,
        "warn_at": warning,
        "due_clock": due_clock,
        "next_check_at": state.next_check_at,
        "state": state_to_json(state),
    }


def case_timezone(policy: Policy, state: CaseState) -> tzinfo:
    """The time zone of the calendar measuring the case's clocks (UTC without an SLA)."""
    if state.sla is None:
        return UTC
    return calendar_of(policy, state).timezone


def _zone_or_none(name: str | None) -> tzinfo | None:
    """A stored zone name as a zone (None when unset, or no longer known to this machine)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def case_context(case: LoadedCase, state: CaseState) -> CaseContext:
    """What messages about the case say about it, as it stands after the change."""
    policy = case.policy
    return CaseContext(
        case_id=case.id,
        subject=case.subject,
        customer_ref=case.customer_ref,
        customer_name=case.customer_name,
        customer_email=case.customer_email,
        priority=state.priority,
        status=state.status,
        level=policy.levels[state.level].name,
        team=state.team,
        channel=state.channel,
        assignee=state.assignee,
        timezone=case_timezone(policy, state),
        customer_timezone=_zone_or_none(case.customer_timezone),
        expected_answer_at=expected_answer(policy, state),
    )


def expected_answer(policy: Policy, state: CaseState) -> int | None:
    """What the customer is told to expect next: the soonest answer still due, or the later
    instant the forecast promised when the queue will not make it by then."""
    due = earliest_due(policy, state, RESPONSE_METRICS, after=state.updated_at)
    promised = state.promised_at
    if due is None or promised is None:
        return due
    return max(due, promised)


@dataclass(slots=True)
class _Rows:
    """Every row a transaction's changes write, by table."""

    new_cases: list[dict[str, Any]] = field(default_factory=list)
    case_updates: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    in_app: list[dict[str, Any]] = field(default_factory=list)


def write_changes(
    session: Session,
    changes: Sequence[Change],
    *,
    now: int,
    directory: Directory,
    also: Sequence[tuple[Table, list[dict[str, Any]]]] = (),
    crew: Staffing | None = None,
) -> None:
    """Write every change in the caller's transaction: case rows, records, audit and outbox.

    `also` are more rows to insert along with them (in the same round trip on PostgreSQL);
    `crew` is the staffing the decisions were made with, whose round-robin turns are saved.
    An existing case is updated only if its version is still the one it was loaded with; the
    version then moves on by one. Conflict when another writer got there first.
    """
    wanted = CustomerMessages.of(session)
    lifecycles = [telling.moments(change, wanted) for change in changes]
    earlier = telling.read_earlier(session, directory, changes, lifecycles)
    rows = _Rows()
    for change, lifecycle in zip(changes, lifecycles, strict=True):
        columns = _case_row(change, now)
        (rows.new_cases if change.new else rows.case_updates).append(columns)
        rows.audit.extend(records.audit_rows(change, now))
        rows.messages.extend(records.message_rows(change))
        rows.escalations.extend(records.escalation_rows(change, now))
        rows.clocks.extend(records.clock_rows(change))
        if change.actions or lifecycle:
            context = telling.dressed(
                case_context(change.case, change.state), change, lifecycle, earlier
            )
            outbox, in_app = telling.message_rows(change, lifecycle, context, directory, now)
            rows.outbox.extend(outbox)
            rows.in_app.extend(in_app)
    if rows.case_updates:
        matched = bulk.update_rows(session, _CASES, rows.case_updates, guard="version")
        if matched != len(rows.case_updates):
            raise Conflict("the case was changed by someone else meanwhile; try again")
    with bulk.pipeline(session):
        bulk.insert_rows(session, _CASES, rows.new_cases)
        bulk.insert_rows(session, table_of(Message), rows.messages)
        bulk.insert_rows(session, table_of(Escalation), rows.escalations)
        bulk.insert_rows(session, table_of(AuditEntry), rows.audit)
        bulk.insert_rows(session, table_of(ClockEvent), rows.clocks)
        bulk.insert_rows(session, table_of(OutboxMessage), rows.outbox)
        bulk.insert_rows(session, table_of(StaffNotification), rows.in_app)
        _index_words(session, changes)
        for table, more in also:
            bulk.insert_rows(session, table, more)
        workload.write_workload(session, changes, now=now, crew=crew)


def _case_row(change: Change, now: int) -> dict[str, Any]:
    """The case row's columns as the change writes them (kept in `change.columns`): a new
    case's whole row, or an update guarded by the version the case was loaded at."""
    case = change.case
    columns = case_columns(change.state, case.policy)
    columns["updated_at"] = now
    if change.new:
        columns.update(
            id=case.id,
            customer_id=case.customer_id,
            policy_version_id=case.policy_version_id,
            subject=case.subject,
            opened_at=change.state.opened_at,
            version=1,
            category_source=change.category_origin[0],
            category_confidence=change.category_origin[1],
        )
    else:
        columns["id"] = case.id
        columns["expected_version"] = case.version
        columns["policy_version_id"] = case.policy_version_id
    change.columns = columns
    return columns


def _index_words(session: Session, changes: Sequence[Change]) -> None:
    """Keep the search index in step: new cases' documents, and messages added to others."""
    search.index_new_cases(
        session,
        (
            {
                "case_id": change.case.id,
                "customer": (
                    change.case.customer_ref,
                    change.case.customer_name,
                    change.case.customer_email,
                ),
                "subject": change.case.subject,
                "messages": [
                    part
                    for message in change.messages
                    for part in (message.get("subject"), message.get("body"))
                ],
            }
            for change in changes
            if change.new
        ),
    )
    search.add_messages(
        session,
        (
            (change.case.id, message.get("subject"), message.get("body") or "")
            for change in changes
            if not change.new
            for message in change.messages
        ),
    )
