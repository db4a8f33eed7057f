"""The outbox delivery loop's one step: claim due messages, send them, record the outcome.

A claim moves a message's next attempt one lease ahead and commits before anything is sent, so
a process that dies mid-send leaves the message to be claimed again when the lease runs out:
delivery is at least once, and every copy carries the same idempotency key.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from sqlalchemy import select, update

from escalon import keys
from escalon.cases.models import Case
from escalon.channels.models import Attachment
from escalon.clock import Clock
from escalon.config import Settings
from escalon.database import Database
from escalon.notifications.models import OutboxMessage, Webhook
from escalon.notifications.outbox import render_body
from escalon.notifications.transports import (
    DeliveryFailed,
    EmailTransport,
    LogTransport,
    Outgoing,
    Transport,
    WebhookTarget,
    WebhookTransport,
)

US = 1_000_000


@dataclass(slots=True)
class DeliveryReport:
    """What one step did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        """Messages this step claimed."""
        return self.delivered + self.retried + self.dead


def retry_delay_us(attempts: int, settings: Settings, rng: random.Random) -> int:
    """Exponential backoff after `attempts` failures, capped, with ±20% jitter."""
    base = settings.outbox_backoff_seconds * 2 ** max(0, attempts - 1)
    delay = min(base, settings.outbox_backoff_max_seconds) * rng.uniform(0.8, 1.2)
    return int(delay * US)


def claim(db: Database, *, now: int, limit: int, lease_us: int) -> list[Outgoing]:
    """Take up to `limit` due messages for this process (one transaction, committed)."""
    with db.write() as session:
        rows = session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.key,
                OutboxMessage.channel,
                OutboxMessage.address,
                OutboxMessage.subject,
                OutboxMessage.body,
                OutboxMessage.payload,
                OutboxMessage.attempts,
                OutboxMessage.message_id,
            )
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row[0] for row in rows]))
            .values(next_attempt_at=now + lease_us, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return [
        Outgoing(id, key, channel, address, subject, body, payload, attempts + 1, message_id)
        for id, key, channel, address, subject, body, payload, attempts, message_id in rows
    ]


def deliver_due(
    db: Database,
    *,
    clock: Clock,
    settings: Settings,
    rng: random.Random | None = None,
    limit: int | None = None,
) -> DeliveryReport:
    """Claim, send and record one batch of due messages."""
    rng = rng or random.Random()
    now = clock.now_us()
    messages = claim(
        db,
        now=now,
        limit=limit or settings.outbox_batch,
        lease_us=round(settings.outbox_lease_seconds * US),
    )
    report = DeliveryReport()
    if not messages:
        return report
    messages = _with_attachments(db, messages)
    webhooks = WebhookTransport(
        _webhook_targets(db),
        timeout=settings.webhook_timeout_seconds,
        clock_seconds=lambda: clock.now_us() / US,
        allow_private=settings.webhook_allow_private,
        templates_dir=settings.templates_dir,
    )
    mail = EmailTransport(settings, keep_open=True)
    transports: dict[str, Transport] = {
        "log": LogTransport(),
        "email": mail,
        "webhook": webhooks,
    }
    outcomes: list[dict[str, object]] = []
    reopened = _reopened_follow_ups(db, messages)
    try:
        for message in messages:
            if message.id in reopened:
                # The case opened again after its resolution: asking how it went is moot.
                outcomes.append(
                    {
                        "id": message.id,
                        "status": "cancelled",
                        "last_error": "the case was reopened",
                        "next_attempt_at": None,
                    }
                )
                continue
            outcomes.append(_send(message, transports, clock, settings, rng, report))
    finally:
        webhooks.close()
        mail.close()
        _record(db, outcomes)
    return report


def _webhook_targets(db: Database) -> dict[str, WebhookTarget]:
    """The active webhooks by name, their secrets unsealed."""
    with db.read() as session:
        return {
            name: WebhookTarget(url, _unsealed(sealed), format)
            for name, url, sealed, format in session.execute(
                select(Webhook.name, Webhook.url, Webhook.secret_sealed, Webhook.format).where(
                    Webhook.active
                )
            )
        }


def _send(
    message: Outgoing,
    transports: dict[str, Transport],
    clock: Clock,
    settings: Settings,
    rng: random.Random,
    report: DeliveryReport,
) -> dict[str, object]:
    """Send one message; count it in the report and return what to record of it."""
    transport = transports.get(message.channel)
    if not message.body and message.channel != "webhook":
        message = replace(message, body=render_body(message.payload, settings.templates_dir))
    try:
        if transport is None:
            raise DeliveryFailed(f"unknown channel {message.channel!r}", permanent=True)
        used = transport.send(message)
    except DeliveryFailed as error:
        report.errors.append(f"{message.key[:12]}: {error}")
        failed = {"id": message.id, "last_error": str(error), "last_response": error.response}
        if error.permanent or message.attempt >= settings.outbox_max_attempts:
            report.dead += 1
            return {**failed, "status": "dead", "next_attempt_at": None}
        report.retried += 1
        delay = retry_delay_us(message.attempt, settings, rng)
        return {**failed, "status": "pending", "next_attempt_at": clock.now_us() + delay}
    report.delivered += 1
    return {
        "id": message.id,
        "status": "delivered",
        "transport": used,
        "delivered_at": clock.now_us(),
        "next_attempt_at": None,
        "last_error": None,
        "last_response": None,
        "body": message.body,
    }


def _with_attachments(db: Database, messages: list[Outgoing]) -> list[Outgoing]:
    """The messages, each e-mail with the files its payload names read from the database."""
    wanted = {
        int(file["id"])
        for message in messages
        if message.channel == "email"
        for file in message.payload.get("attachments") or ()
    }
    if not wanted:
        return messages
    with db.read() as session:
        files = {
            int(file_id): (filename, content_type, bytes(data))
            for file_id, filename, content_type, data in session.execute(
                select(
                    Attachment.id, Attachment.filename, Attachment.content_type, Attachment.data
                ).where(Attachment.id.in_(wanted))
            )
        }
    return [
        replace(
            message,
            attachments=tuple(
                files[int(file["id"])]
                for file in message.payload.get("attachments") or ()
                if int(file["id"]) in files
            ),
        )
        if message.channel == "email" and message.payload.get("attachments")
        else message
        for message in messages
    ]


def _unsealed(sealed: str) -> str | None:
    """A webhook's signing secret, opened with the keys kept outside the database (None, and
    its deliveries wait, when none of the keys held opens it)."""
    try:
        return keys.current().unseal(sealed)
    except keys.SecretUnreadable:
        return None


def _reopened_follow_ups(db: Database, messages: list[Outgoing]) -> set[int]:
    """The follow-ups among `messages` whose case is no longer resolved or closed."""
    follow_ups = {
        message.id: int(message.payload["case"]["id"])
        for message in messages
        if message.payload.get("type") == "escalon.follow_up"
    }
    if not follow_ups:
        return set()
    with db.read() as session:
        settled = set(
            session.scalars(
                select(Case.id).where(
                    Case.id.in_(set(follow_ups.values())),
                    Case.status.in_(("resolved", "closed")),
                )
            )
        )
    return {message for message, case in follow_ups.items() if case not in settled}


def _record(db: Database, outcomes: list[dict[str, object]]) -> None:
    if not outcomes:
        return
    with db.write() as session:
        for outcome in outcomes:
            values = {name: value for name, value in outcome.items() if name != "id"}
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outcome["id"], OutboxMessage.status == "pending")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
