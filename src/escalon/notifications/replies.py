"""An agent's public reply on its way to the customer: one outbox row, on the case's own channel.

The row is written in the transaction that stores the reply, so a reply is either both recorded
and queued or neither. Its key comes from the request that made it (an Idempotency-Key, or the
dashboard form's token) when there is one, else from the stored message: a retried request
finds the row it already made and never sends twice.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.channels.models import Attachment
from escalon.core.text import one_line
from escalon.errors import Invalid, TooLarge
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import (
    CaseContext,
    case_payload,
    customer_envelope,
    pending_row,
)
from escalon.people.directory import Directory

# Files on one message: how many, and how large each (the request's own size is bounded too).
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# A declared content type is kept only when it is a plain `type/subtype`; it is never what a
# download is served as (always application/octet-stream, as an attachment).
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,62}/[a-z0-9][a-z0-9.+-]{0,126}$")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')

# Channels whose customers are answered by e-mail even when a webhook carries their name: the
# contact form collects an address, a phone note has no way back but the customer's mail.
MAIL_CHANNELS = frozenset({"email", "web", "phone", "api"})


@dataclass(frozen=True, slots=True)
class Route:
    """Where a reply goes: e-mail to an address, a webhook by name, or nowhere (the log)."""

    channel: str  # email, webhook, log
    address: str
    note: str | None = None


def reply_key(case_id: int, source: str) -> str:
    """The idempotency key of a reply: stable for the request (or message) that made it."""
    return hashlib.sha256(f"reply\x1f{case_id}\x1f{source}".encode()).hexdigest()


def route(context: CaseContext, directory: Directory) -> Route:
    """The customer's own channel: a chat or social case through the webhook named after its
    channel, anything else (and a chat without such a webhook) by e-mail, else the log."""
    own = context.channel
    bridged = bool(own) and directory.has_webhook(str(own), for_customers=True)
    if own and own not in MAIL_CHANNELS and bridged:
        return Route("webhook", own)
    if context.customer_email:
        return Route("email", context.customer_email)
    if own and bridged:
        return Route("webhook", own)
    where = f"no webhook named {own!r}" if own and own not in MAIL_CHANNELS else "no webhook"
    return Route("log", "log", f"not sent: the customer has no e-mail address and {where}")


def reply_row(
    *,
    context: CaseContext,
    directory: Directory,
    key: str,
    message_row_id: int,
    text: str,
    author_name: str,
    subject: str | None,
    at: str,
    now: int,
    attachments: list[dict[str, Any]] | None = None,
    articles: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The outbox row that carries an agent's reply (`text`, exactly as written) to the customer."""
    way = route(context, directory)
    # The case's token always leads, so the customer's answer finds its case; the agent's own
    # subject (if any) is one line, so it cannot add header lines.
    topic = one_line(subject or "") or context.subject or "Your request"
    payload: dict[str, Any] = {
        "id": key,
        "type": "escalon.reply",
        "at": at,
        "case": case_payload(context),
        "recipient": f"customer:{context.customer_ref}",
        "template": "customer_reply.txt",
        # Written by a person: no Auto-Submitted header (RFC 3834), unlike every other message.
        "human": True,
        "reply": {"text": text, "author": author_name, "message": message_row_id},
    }
    if attachments:
        payload["attachments"] = attachments
    if articles:
        payload["articles"] = articles
    if way.note:
        payload["note"] = way.note
    customer_envelope(payload, context, directory, now=now)
    row = pending_row(
        key=key,
        case_id=context.case_id,
        kind="reply",
        channel=way.channel,
        recipient=payload["recipient"],
        address=way.address,
        subject=f"Re: [#{context.case_id}] {topic}",
        payload=payload,
        now=now,
    )
    row["case_message_id"] = message_row_id
    return row


def undelivered(session: Session, case_ids: Collection[int]) -> dict[int, str]:
    """The cases among these with a reply that could not be delivered: why (the latest)."""
    if not case_ids:
        return {}
    # Each case's latest reply: one that went out after a failure settles the case.
    latest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.case_id.in_(case_ids), OutboxMessage.kind == "reply")
        .group_by(OutboxMessage.case_id)
    )
    rows = session.execute(
        select(OutboxMessage.case_id, OutboxMessage.last_error).where(
            OutboxMessage.id.in_(latest), OutboxMessage.status == "dead"
        )
    ).all()
    return {int(case_id): error or "not delivered" for case_id, error in rows if case_id}


@dataclass(frozen=True, slots=True)
class ReplyFile:
    """A file an agent attaches to a message, as it arrived."""

    filename: str
    content_type: str
    data: bytes


def safe_filename(name: str) -> str:
    """A file name that names a file and nothing else: no folders, no control or quoting
    characters, no leading dots, at most 255 characters ("attachment" when nothing is left)."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE_NAME.sub("_", base).strip().lstrip(".").strip()
    if len(base) > 255:
        stem, dot, suffix = base.rpartition(".")
        base = f"{stem[: 250 - len(suffix)]}.{suffix}" if dot and len(suffix) < 20 else base[:255]
    return base or "attachment"


def safe_content_type(declared: str, filename: str) -> str:
    """The type to label a file with: the declared one when it is a plain type, else the one its
    name suggests, else application/octet-stream."""
    declared = declared.strip().lower().split(";")[0].strip()
    if _CONTENT_TYPE.match(declared):
        return declared
    guessed, _encoding = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def store_attachments(
    session: Session,
    *,
    case_id: int,
    message_row_id: int,
    files: Sequence[ReplyFile],
    now: int,
) -> list[dict[str, Any]]:
    """Keep the files with their message; what a reply's payload says of them (no content)."""
    check_attachments(files)
    kept = []
    for file in files:
        name = safe_filename(file.filename)
        row = Attachment(
            case_id=case_id,
            message_row_id=message_row_id,
            filename=name,
            content_type=safe_content_type(file.content_type, name),
            size=len(file.data),
            sha256=hashlib.sha256(file.data).hexdigest(),
            data=file.data,
            created_at=now,
        )
        session.add(row)
        kept.append(row)
    session.flush()
    return [
        {"id": row.id, "filename": row.filename, "content_type": row.content_type, "size": row.size}
        for row in kept
    ]


def check_attachments(files: Sequence[ReplyFile]) -> None:
    """Refuse too many files (422) or one too large (413), before anything is written."""
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(f"at most {MAX_ATTACHMENTS} attachments on a message, not {len(files)}")
    for file in files:
        if len(file.data) > MAX_ATTACHMENT_BYTES:
            raise TooLarge(
                f"attachment {safe_filename(file.filename)!r} is {len(file.data)} bytes; "
                f"the most is {MAX_ATTACHMENT_BYTES} bytes"
            )
