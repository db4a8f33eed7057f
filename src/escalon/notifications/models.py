"""Tables of the outbox and of webhook endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class OutboxMessage(Base):
    """A message to deliver after the transaction that decided it has committed.

    `key` is the message's idempotency key: unique here, and sent along so receivers can drop
    a message delivered twice.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # An e-mail's Message-ID: random, chosen when the row is written and sent with every try.
    # Nobody can compute it, so a reply that names it was written by someone who received it.
    message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The agent's message a reply to the customer carries (None for every other message).
    case_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # notify, notify_customer, reply, ...
    channel: Mapped[str] = mapped_column(String(20))  # log, email, webhook
    recipient: Mapped[str] = mapped_column(String(300))  # as the policy named it
    address: Mapped[str] = mapped_column(String(500))  # e-mail address, webhook name or "log"
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending, delivered, dead, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int | None] = mapped_column(Instant)
    last_error: Mapped[str | None] = mapped_column(Text)
    # What a webhook's receiver answered (its first 200 characters) when it refused: the
    # receiver's words, shown to admins only, never logged.
    last_response: Mapped[str | None] = mapped_column(Text)
    transport: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[int] = mapped_column(Instant)
    delivered_at: Mapped[int | None] = mapped_column(Instant)

    __table_args__ = (
        Index(
            "ix_outbox_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_status", "status"),
    )


class Webhook(Base):
    """A named HTTP endpoint that receives signed notifications (`notify: [webhook:NAME]`)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    # The signing secret, sealed with the key kept outside the database (`escalon.keys`): a
    # copy of the database does not reveal it. Read it with `keys.current().unseal(...)`.
    secret_sealed: Mapped[str] = mapped_column(Text)
    # escalon: the signed JSON payload; slack: a Slack incoming webhook (Block Kit and `text`);
    # teams: a Microsoft Teams Workflows webhook (an Adaptive Card). See chat_formats.
    format: Mapped[str] = mapped_column(String(20), default="escalon", server_default="escalon")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(Instant)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
