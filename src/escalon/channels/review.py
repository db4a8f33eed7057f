"""The review list: stored inbound mail by status, for the API, the dashboard and the CLI.

By default it shows what waits for a person: mail held out of a case (no active policy, a
failure, a sender over its limit) and deliveries interrupted mid-way. Mail that is in a case is
listed only for those who may see that case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.models import Case
from escalon.channels.email import header_policy
from escalon.channels.mail import HOLD_REASONS, INTERRUPTED_US, retryable
from escalon.channels.models import InboundEmail
from escalon.core.state import from_us
from escalon.core.text import one_line
from escalon.errors import Invalid, NotFound

STATUSES = (
    "waiting",
    "held",
    "received",
    "dismissed",
    "duplicate",
    "opened",
    "threaded",
    "review",
    "all",
)
# How much of a stored mail is read to show its headers in a list.
_HEAD_BYTES = 32 * 1024


@dataclass(frozen=True, slots=True)
class Row:
    """One stored mail, as the review list shows it."""

    id: int
    received_at: datetime
    source: str
    status: str
    sender: str | None
    subject: str | None
    message_id: str | None
    size: int
    reason: str | None  # why it is held (or what happened), in words
    hold_reason: str | None
    case_id: int | None
    duplicate_of: int | None
    handled_by: str | None
    handled_at: datetime | None
    can_retry: bool
    can_dismiss: bool


def listed(
    session: Session,
    *,
    status: str,
    now: int,
    limit: int = 50,
    before: int | None = None,
    scope: visibility.Scope = visibility.EVERYTHING,
) -> list[Row]:
    """Stored mail in `status` (see STATUSES; `waiting` is held plus interrupted), newest first."""
    if status not in STATUSES:
        raise Invalid(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    query = select(*_COLUMNS, func.substr(InboundEmail.raw, 1, _HEAD_BYTES))
    interrupted = (InboundEmail.status == "received") & (
        InboundEmail.received_at <= now - INTERRUPTED_US
    )
    if status == "waiting":
        query = query.where((InboundEmail.status == "held") | interrupted)
    elif status != "all":
        query = query.where(InboundEmail.status == status)
    if before is not None:
        query = query.where(InboundEmail.id < before)
    condition = scope.where()
    if condition is not None:
        query = query.where(
            or_(InboundEmail.case_id.is_(None), InboundEmail.case_id.in_(_cases_in(condition)))
        )
    rows = session.execute(query.order_by(InboundEmail.id.desc()).limit(limit)).all()
    return [_row(row, bytes(row[-1] or b""), now) for row in rows]


def one(
    session: Session, inbound_id: int, *, now: int, scope: visibility.Scope = visibility.EVERYTHING
) -> tuple[Row, bytes]:
    """One stored mail and its raw bytes; NotFound if it does not exist or is in a case the
    caller may not see."""
    found = session.execute(
        select(*_COLUMNS, InboundEmail.raw).where(InboundEmail.id == inbound_id)
    ).first()
    if found is None:
        raise NotFound(f"inbound e-mail {inbound_id} does not exist")
    case_id = found[10]
    if case_id is not None and not visibility.visible(session, scope, case_id):
        raise NotFound(f"inbound e-mail {inbound_id} does not exist")
    raw = bytes(found[-1] or b"")
    return _row(found, raw, now), raw


def headers(raw: bytes) -> list[tuple[str, str]]:
    """The header fields of a stored mail, in order, each on one line."""
    message = BytesParser(policy=header_policy()).parsebytes(raw, headersonly=True)
    fields = []
    for name, value in message.items():
        try:
            text = str(value)
        except Exception:  # a field the policy cannot read is shown as absent
            text = "(unreadable)"
        fields.append((one_line(name)[:200], one_line(text)[:2000]))
    return fields


def as_json(row: Row) -> dict[str, Any]:
    """A row as plain JSON values (the CLI's --json)."""
    return {
        "id": row.id,
        "received_at": row.received_at.isoformat(),
        "source": row.source,
        "status": row.status,
        "sender": row.sender,
        "subject": row.subject,
        "message_id": row.message_id,
        "size": row.size,
        "reason": row.reason,
        "hold_reason": row.hold_reason,
        "case_id": row.case_id,
        "duplicate_of": row.duplicate_of,
    }


_COLUMNS = (
    InboundEmail.id,
    InboundEmail.received_at,
    InboundEmail.source,
    InboundEmail.status,
    InboundEmail.sender,
    InboundEmail.message_id,
    InboundEmail.size,
    InboundEmail.error,
    InboundEmail.hold_reason,
    InboundEmail.duplicate_of,
    InboundEmail.case_id,
    InboundEmail.handled_by,
    InboundEmail.handled_at,
)


def _cases_in(condition: Any) -> Any:
    return select(Case.id).where(condition)


def _row(row: Any, raw: bytes, now: int) -> Row:
    (
        inbound_id,
        received_at,
        source,
        status,
        sender,
        message_id,
        size,
        error,
        hold_reason,
        duplicate_of,
        case_id,
        handled_by,
        handled_at,
    ) = row[:13]
    interrupted = status == "received" and now - received_at >= INTERRUPTED_US
    if interrupted:
        reason = "taking it into a case was interrupted; retry it"
    elif status == "held" and hold_reason:
        reason = error or HOLD_REASONS.get(hold_reason, hold_reason)
    else:
        reason = error
    return Row(
        id=inbound_id,
        received_at=from_us(received_at),
        source=source,
        status=status,
        sender=sender,
        subject=_subject(raw),
        message_id=message_id,
        size=size,
        reason=reason,
        hold_reason=hold_reason,
        case_id=case_id,
        duplicate_of=duplicate_of,
        handled_by=handled_by,
        handled_at=None if handled_at is None else from_us(handled_at),
        can_retry=retryable(status, received_at, now),
        can_dismiss=status == "held" or interrupted,
    )


def _subject(raw: bytes) -> str | None:
    head = raw.replace(b"\r\n", b"\n").partition(b"\n\n")[0]
    try:
        value = BytesParser(policy=header_policy()).parsebytes(head, headersonly=True)["Subject"]
    except Exception:  # an unreadable header: the list shows no subject
        return None
    return one_line(str(value))[:500] if value is not None else None
