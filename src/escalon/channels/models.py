"""Tables of inbound channels: raw e-mails as received, attachments, and the thread references
(e-mail Message-IDs, chat conversations, social posts) that lead a new message to its case."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class InboundEmail(Base):
    """An e-mail exactly as it arrived, stored before anything reads it, so nothing is lost.

    Every delivery is a row. The one that takes a mail into a case sets `taken` to the mail's
    fingerprint (its Message-ID and content, trace headers aside): unique, so the same mail
    delivered twice, at once or later, is taken once; the other deliveries point at it.
    """

    __tablename__ = "inbound_emails"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    received_at: Mapped[int] = mapped_column(Instant)
    source: Mapped[str] = mapped_column(String(20))  # smtp, imap, api
    envelope_from: Mapped[str | None] = mapped_column(String(500))
    envelope_to: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # received (stored, being taken), threaded (added to a case), opened (a new case), review
    # (unreadable: a case to look at), duplicate (taken before, see duplicate_of), held (in the
    # review list: see hold_reason), dismissed (staff decided it needs no case)
    status: Mapped[str] = mapped_column(String(20), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    sender: Mapped[str | None] = mapped_column(String(320))  # the From address, normalised
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    taken: Mapped[str | None] = mapped_column(String(64), unique=True)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("inbound_emails.id"))
    # no_policy, failed, sender_limit, staff_reply: why a held mail is not in a case
    hold_reason: Mapped[str | None] = mapped_column(String(30))
    handled_by: Mapped[str | None] = mapped_column(String(200))  # who last retried or dismissed
    handled_at: Mapped[int | None] = mapped_column(Instant)

    __table_args__ = (Index("ix_inbound_emails_sender_received_at", "sender", "received_at"),)


class CaseParticipant(Base):
    """Someone besides the customer whose mail may join a case: added by staff, or copied in
    by the customer on a mail of theirs. Their mail is stored under their own address."""

    __tablename__ = "case_participants"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    address: Mapped[str] = mapped_column(String(320))  # normalised (normalise_address)
    source: Mapped[str] = mapped_column(String(20))  # staff, cc
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (
        UniqueConstraint("case_id", "address", name="uq_case_participants_case_address"),
    )


class Attachment(Base):
    """A file that came with a message."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_row_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[int] = mapped_column(Instant)


class ThreadRef(Base):
    """A reference a later message may carry to name its case: an e-mail Message-ID (ours or
    the customer's), a chat conversation, a social post."""

    __tablename__ = "thread_refs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # email, chat, social
    ref: Mapped[str] = mapped_column(String(998))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (UniqueConstraint("channel", "ref", name="uq_thread_refs_channel_ref"),)


class StaffNotification(Base):
    """A notification in a person's in-app list."""

    __tablename__ = "staff_notifications"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agent: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[int] = mapped_column(Instant)
    read_at: Mapped[int | None] = mapped_column(Instant)

    __table_args__ = (Index("ix_staff_notifications_agent_id", "agent", "id"),)
