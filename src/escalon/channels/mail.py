"""E-mail intake: store the raw mail first, then thread it into its case or open a new one.

Both inbound paths (the SMTP endpoint and IMAP polling) end here. The raw bytes are committed in
a transaction of their own before anything reads them, so a mail that breaks the parser, or a
database hiccup half-way, loses nothing: an unreadable mail opens a case flagged `needs-review`
that points at the stored original.

A mail whose Message-ID was already taken (a server or poller delivering it again) is not taken
twice. Threading, in order: a Message-ID the mail answers (In-Reply-To, then References) that Escalon
sent or received on a case; else a "[#123]" case token in the subject, when the mail comes from
that case's customer; else a new case. A closed case is never reopened by mail: the mail opens a
new case that says which one it follows.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from escalon.cases import flows
from escalon.cases.models import Case, Customer, Message
from escalon.cases.schemas import CaseCreate, CustomerIn, MessageIn
from escalon.channels.email import ParsedEmail, UnreadableEmail, parse_email
from escalon.channels.models import Attachment, InboundEmail, ThreadRef
from escalon.core.signals import TextAnalyzer
from escalon.core.text import one_line
from escalon.database import Database
from escalon.database.base import table_of
from escalon.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

REVIEW_TAG = "needs-review"
INTAKE_ACTOR = flows.Actor(None, "mail-intake", "integration")
# Escalon's own Message-IDs: the outbox key at a domain that exists nowhere else.
_OWN_ID = re.compile(r"^<([0-9a-f]{64})@escalon\.invalid>$")
_BODY_LIMIT = 100_000  # what a message body may hold (the API's limit)


@dataclass(frozen=True, slots=True)
class MailLimits:
    """How large a mail and each attachment may be."""

    message_bytes: int = 25 * 1024 * 1024
    attachment_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Received:
    """What became of a mail: its stored original, its case and message, and how it got there."""

    inbound_id: int
    case_id: int
    message_row_id: int | None
    outcome: str  # opened, threaded, review, duplicate (taken before: nothing new written)
    note: str = ""


class MailTooLarge(ValueError):
    """A mail above the size limit: refused before anything is stored."""


def receive_email(
    db: Database,
    raw: bytes,
    *,
    now: int,
    source: str,
    envelope_from: str | None = None,
    envelope_to: list[str] | None = None,
    analyzer: TextAnalyzer | None = None,
    limits: MailLimits = MailLimits(),
) -> Received:
    """Store a mail as it came, then thread it into a case (or open one); see the module."""
    if len(raw) > limits.message_bytes:
        raise MailTooLarge(
            f"the message is {len(raw):,} bytes; the limit is {limits.message_bytes:,}"
        )
    try:
        parsed: ParsedEmail | None = parse_email(raw)
        problem = None
    except UnreadableEmail as error:
        parsed, problem = None, str(error)
    if parsed is not None and parsed.message_id:
        earlier = _already_taken(db, parsed.message_id)
        if earlier is not None:
            return earlier
    with db.write() as session:
        inbound_id = session.scalar(
            insert(table_of(InboundEmail)).returning(table_of(InboundEmail).c.id),
            {
                "received_at": now,
                "source": source,
                "envelope_from": (envelope_from or "")[:500] or None,
                "envelope_to": ", ".join(envelope_to or ()) or None,
                "message_id": (parsed.message_id or "")[:998] or None if parsed else None,
                "size": len(raw),
                "raw": raw,
                "status": "received",
                "error": problem,
            },
        )
    assert inbound_id is not None
    if parsed is not None:
        try:
            with db.write() as session:
                return _take(session, inbound_id, parsed, now, analyzer, limits)
        except Exception as error:  # kept: the review case below points at the stored original
            log.exception("inbound e-mail %s could not be taken into a case", inbound_id)
            problem = f"{type(error).__name__}: {error}"
    with db.write() as session:
        return _review(session, inbound_id, parsed, envelope_from, problem or "", now)


def _already_taken(db: Database, message_id: str) -> Received | None:
    """The earlier delivery of the same mail (a server or poller that sent it again), if any."""
    with db.read() as session:
        row = session.execute(
            select(InboundEmail.id, InboundEmail.case_id, InboundEmail.message_row_id)
            .where(
                InboundEmail.message_id == message_id[:998],
                InboundEmail.status.in_(("opened", "threaded")),
            )
            .order_by(InboundEmail.id)
            .limit(1)
        ).first()
    if row is None or row[1] is None:
        return None
    return Received(row[0], row[1], row[2], "duplicate", "the same Message-ID was taken before")


def _take(
    session: Session,
    inbound_id: int,
    mail: ParsedEmail,
    now: int,
    analyzer: TextAnalyzer | None,
    limits: MailLimits,
) -> Received:
    body = (mail.reply or mail.text or "(no text)")[:_BODY_LIMIT]
    details = _details(mail, inbound_id)
    message_row_id: int | None
    threaded, follows = _thread(session, mail)
    if threaded is not None:
        case_id = threaded
        message_row_id = flows.post_message(
            session,
            case_id=case_id,
            request=MessageIn(
                author="customer",
                body=body,
                channel="email",
                subject=mail.subject[:500] or None,
            ),
            actor=INTAKE_ACTOR,
            now=now,
            analyzer=analyzer,
            details=details,
        )
        outcome = "threaded"
    else:
        if follows is not None:
            details["follows_case"] = follows
        opened = flows.open_case(
            session,
            request=CaseCreate(
                customer=_customer(mail),
                subject=mail.subject[:500] or "(no subject)",
                body=body,
                channel="email",
            ),
            actor=INTAKE_ACTOR,
            now=now,
            analyzer=analyzer,
            message_details=details,
        )
        case_id = opened.case_id
        message_row_id = _opening_message(session, case_id)
        outcome = "opened"
    refused = _store_attachments(session, case_id, message_row_id, mail, now, limits)
    if mail.message_id:
        _remember(session, mail.message_id, case_id, now)
    note = "; ".join(refused)
    _settle(session, inbound_id, outcome, case_id, message_row_id, note or None)
    return Received(inbound_id, case_id, message_row_id, outcome, note)


def _review(
    session: Session,
    inbound_id: int,
    mail: ParsedEmail | None,
    envelope_from: str | None,
    problem: str,
    now: int,
) -> Received:
    sender = (mail.sender if mail else None) or _address(envelope_from) or "unknown-sender"
    subject = (mail.subject if mail and mail.subject else "E-mail that could not be read")[:500]
    opened = flows.open_case(
        session,
        request=CaseCreate(
            customer=CustomerIn(ref=sender[:200], email=sender if "@" in sender else None),
            subject=subject,
            body=(
                f"An e-mail arrived that Escalon could not read ({problem or 'unknown problem'}). "
                f"Its original is stored as inbound e-mail {inbound_id}; "
                "read it and answer the customer."
            ),
            channel="email",
        ),
        actor=INTAKE_ACTOR,
        now=now,
        analyzer=None,
        tags=(REVIEW_TAG,),
        message_details={"inbound_email": inbound_id, "problem": problem},
    )
    message_row_id = _opening_message(session, opened.case_id)
    _settle(session, inbound_id, "review", opened.case_id, message_row_id, problem)
    return Received(inbound_id, opened.case_id, message_row_id, "review", problem)


def _thread(session: Session, mail: ParsedEmail) -> tuple[int | None, int | None]:
    """(the case the mail belongs to, or None; a closed case it answers, if that is why not)."""
    closed: int | None = None
    for reference in mail.thread_ids:
        case_id = _case_of_reference(session, reference)
        if case_id is None:
            continue
        if _status(session, case_id) == "closed":
            closed = closed or case_id
            continue
        return case_id, None
    token = mail.case_token
    if token is not None and mail.sender is not None:
        row = session.execute(
            select(Case.status, Customer.email)
            .join(Customer, Customer.id == Case.customer_id)
            .where(Case.id == token)
        ).first()
        if row is not None and (row[1] or "").lower() == mail.sender:
            if row[0] != "closed":
                return token, None
            closed = closed or token
    return None, closed


def _case_of_reference(session: Session, reference: str) -> int | None:
    own = _OWN_ID.match(reference)
    if own is not None:
        found = session.scalar(select(OutboxMessage.case_id).where(OutboxMessage.key == own[1]))
        if found is not None:
            return int(found)
    found = session.scalar(
        select(ThreadRef.case_id).where(ThreadRef.channel == "email", ThreadRef.ref == reference)
    )
    return None if found is None else int(found)


def _status(session: Session, case_id: int) -> str | None:
    return session.scalar(select(Case.status).where(Case.id == case_id))


def _remember(session: Session, message_id: str, case_id: int, now: int) -> None:
    reference = message_id[:998]
    known = session.scalar(
        select(ThreadRef.id).where(ThreadRef.channel == "email", ThreadRef.ref == reference)
    )
    if known is None:
        session.execute(
            insert(ThreadRef),
            {"channel": "email", "ref": reference, "case_id": case_id, "created_at": now},
        )


def _customer(mail: ParsedEmail) -> CustomerIn:
    address = mail.sender or "unknown-sender"
    name = mail.sender_name[:200] if mail.sender_name else None
    return CustomerIn(ref=address[:200], name=name, email=address if "@" in address else None)


def _address(value: str | None) -> str | None:
    if not value or "@" not in value:
        return None
    return one_line(value).strip("<>").lower()[:200]


def _opening_message(session: Session, case_id: int) -> int | None:
    found = session.scalar(select(func.min(Message.id)).where(Message.case_id == case_id))
    return None if found is None else int(found)


def _details(mail: ParsedEmail, inbound_id: int) -> dict[str, Any]:
    details: dict[str, Any] = {"inbound_email": inbound_id}
    if mail.message_id:
        details["message_id"] = mail.message_id
    if mail.sender:
        details["from"] = mail.sender
    if mail.to:
        details["to"] = list(mail.to)
    if mail.html_only:
        details["html"] = True
    if mail.reply != mail.text.strip():
        details["quoted_text_removed"] = True
    if mail.automatic:
        details["automatic"] = True
    if mail.problems:
        details["problems"] = list(mail.problems)
    return details


def _store_attachments(
    session: Session,
    case_id: int,
    message_row_id: int | None,
    mail: ParsedEmail,
    now: int,
    limits: MailLimits,
) -> list[str]:
    """Keep each attachment apart (for download); say which were too large to."""
    rows = []
    refused = []
    for attachment in mail.attachments:
        size = len(attachment.data)
        if size > limits.attachment_bytes:
            refused.append(
                f"attachment {attachment.filename!r} ({size:,} bytes) is above the limit of "
                f"{limits.attachment_bytes:,} bytes: not kept apart (it is in the stored original)"
            )
            continue
        rows.append(
            {
                "case_id": case_id,
                "message_row_id": message_row_id,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": size,
                "sha256": hashlib.sha256(attachment.data).hexdigest(),
                "data": attachment.data,
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(Attachment), rows)
    return refused


def _settle(
    session: Session,
    inbound_id: int,
    status: str,
    case_id: int,
    message_row_id: int | None,
    error: str | None,
) -> None:
    session.execute(
        update(InboundEmail)
        .where(InboundEmail.id == inbound_id)
        .values(status=status, case_id=case_id, message_row_id=message_row_id, error=error)
    )
