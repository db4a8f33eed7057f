"""One worker tick: claim due cases, evaluate them with the core, write everything in one go.

Claiming, evaluating and writing happen in one transaction. On PostgreSQL the claim is
`SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint cases and a killed
worker's cases are released with its rolled-back transaction; on SQLite the transaction holds
the database's write lock from its first statement and every case update is conditional on the
version read. Either way a firing is written once or not at all.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from escalon.cases import assigning, records, service
from escalon.cases.models import AuditEntry, Case
from escalon.clock import Clock
from escalon.core import engine
from escalon.database import Database
from escalon.database.base import table_of
from escalon.forecast import breach as breach_forecast
from escalon.people.directory import Directory
from escalon.people.staffing import staffing

log = logging.getLogger("escalon.worker")
# A case the engine fails on is looked at again this much later, not in a tight loop.
QUARANTINE_US = 5 * 60 * 1_000_000


@dataclass(slots=True)
class TickReport:
    """What one tick did."""

    claimed: int = 0
    changed: int = 0
    actions: int = 0
    escalations: int = 0
    failed: list[int] = field(default_factory=list)
    # How late each claimed case's timer fired: the tick's `now` minus the instant it was due.
    lags_us: list[int] = field(default_factory=list)
    # Waiting cases handed out to people who can now take them (`escalon.cases.assigning`).
    handed_out: int = 0


def tick(
    db: Database,
    *,
    now: int,
    batch: int,
    clock: Clock | None = None,
) -> TickReport:
    """Fire everything due up to `now` on up to `batch` cases, in one transaction.

    With a `clock`, records say when they were written (read again after evaluating); without
    one, they say `now`.
    """
    try:
        with db.write() as session:
            report = _tick(session, now=now, batch=batch, only=None, clock=clock)
    except Exception as error:
        if _is_connection_problem(error):
            raise
        # Something in the batch cannot be written: go case by case so one bad case cannot
        # hold the others back, and set that one aside.
        log.exception("a batch failed; retrying its cases one at a time")
        report = _one_by_one(db, now=now, batch=batch)
    report.handed_out = hand_out_due(db, now=now, batch=batch)
    return report


def hand_out_due(db: Database, *, now: int, batch: int) -> int:
    """Hand out the waiting cases of the teams whose hand-out is due; how many went out."""
    # Read first: most ticks have no team due, and a write transaction is the database's lock.
    with db.read() as session:
        due = assigning.next_handout(session)
    if due is None or due > now:
        return 0
    try:
        with db.write() as session:
            return assigning.hand_out(session, now=now, batch=batch).assigned
    except Exception as error:
        if _is_connection_problem(error):
            raise
        # The timers must go on whatever happens here; the teams are tried again later.
        log.exception("handing out waiting cases failed")
        with db.write() as session:
            assigning.postpone_due(session, now=now)
        return 0


def _tick(
    session: Session,
    *,
    now: int,
    batch: int,
    only: int | None,
    clock: Clock | None = None,
) -> TickReport:
    query = (
        service.load_query(lock=True, skip_locked=True)
        .add_columns(Case.next_check_at)  # after load_query's columns: the row reads as before
        .where(Case.next_check_at <= now)
    )
    if only is not None:
        query = query.where(Case.id == only)
    rows = session.execute(query.order_by(Case.next_check_at).limit(batch)).all()
    report = TickReport(claimed=len(rows), lags_us=[now - row[-1] for row in rows])
    changes: list[service.Change] = []
    crew = staffing(session)
    for row in rows:
        try:
            policy = service.policy_of_row(session, row)
            case = service.loaded_from_row(row, policy)
            # The state was just read for this call alone: the engine may work on it in place.
            foresight = breach_forecast.foresight(session, policy)
            decision = engine.evaluate(
                case.state, policy, now, reuse=True, staffing=crew, foresight=foresight
            )
        except Exception as error:
            log.exception("the engine failed on case %s", row[0])
            _quarantine(session, row[0], now, error)
            report.failed.append(row[0])
            continue
        change = service.Change(case, decision.state, records.ENGINE_ACTOR)
        change.add(decision)
        changes.append(change)
        report.actions += len(decision.actions)
        report.escalations += sum(1 for a in decision.actions if a.action in records.MOVES)
    report.changed = len(changes)
    written = now if clock is None else max(now, clock.now_us())
    service.write_changes(session, changes, now=written, directory=Directory(session), crew=crew)
    return report


def _one_by_one(db: Database, *, now: int, batch: int) -> TickReport:
    with db.read() as session:
        due = list(
            session.scalars(
                select(Case.id)
                .where(Case.next_check_at <= now)
                .order_by(Case.next_check_at)
                .limit(batch)
            )
        )
    total = TickReport()
    for case_id in due:
        try:
            with db.write() as session:
                part = _tick(session, now=now, batch=1, only=case_id)
        except Exception as error:
            if _is_connection_problem(error):
                raise
            log.exception("case %s cannot be written; set aside", case_id)
            with db.write() as session:
                _quarantine(session, case_id, now, error)
            total.failed.append(case_id)
            continue
        total.claimed += part.claimed
        total.changed += part.changed
        total.actions += part.actions
        total.escalations += part.escalations
        total.failed.extend(part.failed)
        total.lags_us.extend(part.lags_us)
    return total


def _quarantine(session: Session, case_id: int, now: int, error: BaseException) -> None:
    """Look at a failing case again later, and say why in its audit trail."""
    session.execute(
        update(table_of(Case))
        .where(table_of(Case).c.id == case_id)
        .values(next_check_at=now + QUARANTINE_US)
    )
    session.add(
        AuditEntry(
            case_id=case_id,
            at=now,
            recorded_at=now,
            actor=records.ENGINE_ACTOR,
            kind="engine.error",
            rule=None,
            key=None,
            data={
                "error": repr(error)[:500],
                "retry_in_seconds": QUARANTINE_US // 1_000_000,
                "trace": traceback.format_exception_only(type(error), error)[-1][:500],
            },
        )
    )


def next_due(db: Database) -> int | None:
    """The earliest timer of any case or team hand-out (None when nothing has one)."""
    with db.read() as session:
        value = session.scalar(select(func.min(Case.next_check_at)))
        handout = assigning.next_handout(session)
    found = [int(at) for at in (value, handout) if at is not None]
    return min(found, default=None)


def _is_connection_problem(error: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)
