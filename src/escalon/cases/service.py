"""Data access for cases: load a case with its engine state, and write what the engine decided.

The API flows and the worker both end in `write_changes`: one place turns decisions into the
case row, escalation records, audit entries, clock events and outbox rows, in the caller's
transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, and_, bindparam, func, select
from sqlalchemy.orm import Session

from escalon.cases import search
from escalon.cases.models import (
    AuditEntry,
    Case,
    ClockEvent,
    Customer,
    Escalation,
    IdempotencyKey,
    Message,
)
from escalon.channels.models import StaffNotification
from escalon.core.codec import state_from_json, state_to_json
from escalon.core.engine import Action, Decision
from escalon.core.engine import ClockEvent as CoreClockEvent
from escalon.core.policy import Policy
from escalon.core.sla import RESPONSE_METRICS, earliest_due, first_due_clock
from escalon.core.staffing import Staffing
from escalon.core.state import STOPPED_STATUSES, CaseState
from escalon.database import bulk
from escalon.database.base import table_of
from escalon.errors import Conflict, NotFound
from escalon.notifications import notices
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import (
    CUSTOMER_MESSAGES,
    URGENT_TRIGGERS,
    CaseContext,
    lifecycle_rows,
    outbox_rows,
)
from escalon.people import staffing as people_staffing
from escalon.people.directory import Directory
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion

ENGINE_ACTOR = "escalon"
_CASES = table_of(Case)
MOVES = {"escalate": "hierarchical", "de-escalate": "hierarchical", "route": "functional"}
# Clock events worth an audit entry; the others (started, met...) are in clock_events only.
AUDITED_CLOCK_EVENTS = frozenset({"warning", "breach"})


@dataclass(slots=True)
class LoadedCase:
    """A case as a flow or the worker works on it: its row's key facts and its engine state."""

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


def holder_of(state: CaseState) -> str | None:
    """Whose open case a case is: its assignee while it is not resolved or closed."""
    return None if state.status in STOPPED_STATUSES else state.assignee


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
    earlier = and_(
        IdempotencyKey.user_id == bindparam("user_id"),
        IdempotencyKey.key == bindparam("idempotency_key"),
    )
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
    """The time zone of the case's SLA calendar (UTC without an SLA)."""
    if state.sla is None:
        return UTC
    return policy.sla_calendars[state.sla].timezone


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
        # What the customer may expect next: the soonest answer still to come.
        expected_answer_at=earliest_due(policy, state, RESPONSE_METRICS, after=state.updated_at),
    )


def _lifecycle(change: Change) -> list[tuple[str, int, str, int | None]]:
    """The moments of a change the customer hears about by themselves:
    (kind, instant, occurrence, send no earlier than)."""
    state = change.state
    wanted = CUSTOMER_MESSAGES
    moments: list[tuple[str, int, str, int | None]] = []
    if change.new and wanted.acknowledgement:
        moments.append(("acknowledgement", state.opened_at, "opened", None))
    if (
        state.status == "resolved"
        and state.resolved_at is not None
        and (change.new or change.case.status not in STOPPED_STATUSES)
    ):
        occurrence = f"resolved@{state.resolved_at}"
        if wanted.resolution:
            moments.append(("resolved", state.resolved_at, occurrence, None))
        if wanted.follow_up_hours > 0:
            follow_up = state.resolved_at + round(wanted.follow_up_hours * 3600 * 1_000_000)
            moments.append(("follow_up", state.resolved_at, occurrence, follow_up))
    return moments


def _in_app(
    case_id: int, action: Action, urgent: bool, now: int, context: CaseContext
) -> list[dict[str, Any]]:
    """A notification in the in-app list of each person a `notify` action reached."""
    reached = action.details.get("reached") if action.action == "notify" else None
    if not reached:
        return []
    people = dict.fromkeys(handle for handles in reached.values() for handle in handles)
    subject = notices.staff_subject(
        action, case_id=case_id, subject=context.subject, priority=context.priority
    )[:500]
    return [
        {
            "agent": handle,
            "case_id": case_id,
            "kind": action.trigger,
            "subject": subject,
            "body": f"Level {context.level}, team {context.team}, priority {context.priority}.",
            "urgent": urgent,
            "created_at": now,
            "read_at": None,
        }
        for handle in people
    ]


def _customer_thread(change: Change, earlier: dict[int, str]) -> str | None:
    """The customer's latest e-mail Message-ID on the case (written now, else before)."""
    for message in reversed(change.messages):
        found = (message.get("details") or {}).get("message_id")
        if message.get("author_kind") == "customer" and found:
            return str(found)
    return None if change.new else earlier.get(change.case.id)


def _notifies(change: Change) -> bool:
    return any(action.action == "notify" for action in change.actions)


def _tells_customer(change: Change, lifecycle: list[Any]) -> bool:
    return bool(lifecycle) or any(a.action == "notify_customer" for a in change.actions)


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
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    clock_rows: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    loads: dict[str, int] = {}
    staff: list[dict[str, Any]] = []
    moments = [_lifecycle(change) for change in changes]
    # Messages to customers answer their latest e-mail: looked up for all the cases at once.
    threads = directory.customer_threads(
        [
            change.case.id
            for change, lifecycle in zip(changes, moments, strict=True)
            if not change.new and _tells_customer(change, lifecycle)
        ]
    )
    # Staff notices quote the customer's latest words: read for all the cases at once.
    words = notices.latest_customer_words(
        session, [change.case.id for change in changes if not change.new and _notifies(change)]
    )
    for change, lifecycle in zip(changes, moments, strict=True):
        case = change.case
        before = None if change.new else case.holder
        after = holder_of(change.state)
        if before != after:
            if before is not None:
                loads[before] = loads.get(before, 0) - 1
            if after is not None:
                loads[after] = loads.get(after, 0) + 1
        columns = case_columns(change.state, case.policy)
        columns["updated_at"] = now
        change.columns = columns
        if change.new:
            new_rows.append(columns)
        else:
            columns["id"] = case.id
            columns["expected_version"] = case.version
            columns["policy_version_id"] = case.policy_version_id
            updates.append(columns)
        for entry in change.entries:
            audit.append(
                {
                    "case_id": case.id,
                    "at": entry["at"],
                    "recorded_at": now,
                    "actor": change.actor,
                    "kind": entry["kind"],
                    "rule": None,
                    "key": entry.get("key"),
                    "data": entry.get("data"),
                }
            )
        for message in change.messages:
            messages.append({"case_id": case.id, **message})
        context = case_context(case, change.state) if change.actions or lifecycle else None
        if context is not None and _tells_customer(change, lifecycle):
            context = replace(context, customer_thread=_customer_thread(change, threads))
        if context is not None and _notifies(change):
            context = replace(
                context,
                customer_words=notices.words_written_now(change.messages) or words.get(case.id),
                dues=notices.clock_dues(case.policy, change.state),
            )
        for moment, at, occurrence, send_at in lifecycle:
            assert context is not None
            outbox.extend(
                lifecycle_rows(
                    moment,
                    context,
                    directory,
                    at=at,
                    now=now,
                    occurrence=occurrence,
                    send_at=send_at,
                )
            )
        # A notification that comes with an escalation is urgent, whatever set it off.
        escalated = any(a.action == "escalate" for a in change.actions)
        for action in change.actions:
            actor = change.actor if action.rule == "manual" else ENGINE_ACTOR
            details = dict(action.details)
            audit.append(
                {
                    "case_id": case.id,
                    "at": action.at,
                    "recorded_at": now,
                    "actor": actor,
                    "kind": action.action,
                    "rule": action.rule,
                    "key": action.key,
                    "data": {"trigger": action.trigger, "metric": action.metric, **details},
                }
            )
            kind = MOVES.get(action.action)
            if kind is not None:
                escalations.append(
                    {
                        "case_id": case.id,
                        "firing_key": action.key,
                        "kind": kind,
                        "action": action.action,
                        "from_level": details.get("from_level"),
                        "to_level": details.get("to_level"),
                        "from_team": details.get("from_team"),
                        "to_team": details.get("to_team"),
                        "rule": action.rule,
                        "trigger": action.trigger,
                        "metric": action.metric,
                        "reason": details.get("reason") or None,
                        "actor": actor,
                        "at": action.at,
                        "recorded_at": now,
                    }
                )
            elif context is not None:
                urgent = action.trigger in URGENT_TRIGGERS or escalated
                outbox.extend(outbox_rows(action, context, directory, now=now, urgent=urgent))
                staff.extend(_in_app(case.id, action, urgent, now, context))
        for event in change.clock_events:
            if event.kind == "started":
                continue  # a cycle's start is in the case's state and its messages already
            clock_rows.append(
                {
                    "case_id": case.id,
                    "metric": event.metric,
                    "cycle": event.cycle,
                    "kind": event.kind,
                    "at": event.at,
                }
            )
            if event.kind in AUDITED_CLOCK_EVENTS:
                audit.append(
                    {
                        "case_id": case.id,
                        "at": event.at,
                        "recorded_at": now,
                        "actor": ENGINE_ACTOR,
                        "kind": f"sla.{event.kind}",
                        "rule": None,
                        "key": f"{event.case}|{event.metric}#{event.cycle}:{event.kind}",
                        "data": {"metric": event.metric, "cycle": event.cycle},
                    }
                )
    if new_rows:
        for change, row in zip((c for c in changes if c.new), new_rows, strict=True):
            row.update(
                id=change.case.id,
                customer_id=change.case.customer_id,
                policy_version_id=change.case.policy_version_id,
                subject=change.case.subject,
                opened_at=change.state.opened_at,
                version=1,
                category_source=change.category_origin[0],
                category_confidence=change.category_origin[1],
            )
    if updates:
        matched = bulk.update_rows(session, _CASES, updates, guard="version")
        if matched != len(updates):
            raise Conflict("the case was changed by someone else meanwhile; try again")
    with bulk.pipeline(session):
        bulk.insert_rows(session, _CASES, new_rows)
        bulk.insert_rows(session, table_of(Message), messages)
        bulk.insert_rows(session, table_of(Escalation), escalations)
        bulk.insert_rows(session, table_of(AuditEntry), audit)
        bulk.insert_rows(session, table_of(ClockEvent), clock_rows)
        bulk.insert_rows(session, table_of(OutboxMessage), outbox)
        bulk.insert_rows(session, table_of(StaffNotification), staff)
        _index_words(session, changes)
        for table, rows in also:
            bulk.insert_rows(session, table, rows)
        people_staffing.count_open_cases(session, loads)
        # After the counts (agents, then teams: the order every writer locks them in).
        people_staffing.may_take_more(
            session, handles=[handle for handle, by in loads.items() if by < 0], now=now
        )
        people_staffing.cases_wait(session, teams=_newly_waiting(changes), now=now)
        if crew is not None:
            people_staffing.save(session, crew)


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


def _newly_waiting(changes: Sequence[Change]) -> list[str]:
    """The teams in which a case began to wait for an owner with this change."""
    teams = set()
    for change in changes:
        state = change.state
        if state.assignee is not None or state.status in STOPPED_STATUSES:
            continue
        case = change.case
        waited = not change.new and case.holder is None and case.status not in STOPPED_STATUSES
        if not waited or any(action.action == "route" for action in change.actions):
            teams.add(state.team)
    return sorted(teams)
