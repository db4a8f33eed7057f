"""Tables of the case domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class Customer(Base):
    """Someone who writes to support: known by an external reference (CRM id, e-mail...)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    tier: Mapped[str | None] = mapped_column(String(100))
    # An IANA zone name: the times in messages to them and on their status page.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The organisation a person placed the customer in; without one, their e-mail domain's.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[int] = mapped_column(Instant)
    updated_at: Mapped[int] = mapped_column(Instant)


class Case(Base):
    """One customer problem. `state` is the engine's state; the other columns mirror it for queries.

    `next_check_at` is the case's timer: the earliest instant the engine must look at it again
    (NULL when nothing can happen without a new event). Workers claim rows by it.
    """

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    # Where the category came from: request, keyword, classifier or person (not engine state).
    category_source: Mapped[str | None] = mapped_column(String(20))
    category_confidence: Mapped[float | None] = mapped_column(Float)  # the classifier's
    tier: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[str] = mapped_column(String(100))
    level_rank: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(100), index=True)
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    awaiting_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[int] = mapped_column(Instant, index=True)
    updated_at: Mapped[int] = mapped_column(Instant)
    resolved_at: Mapped[int | None] = mapped_column(Instant)
    resolution_business_seconds: Mapped[float | None] = mapped_column(Float)
    survey_score: Mapped[int | None] = mapped_column(Integer)
    # Named by the person who resolves the case; not engine state, so the core never sees it.
    root_cause: Mapped[str | None] = mapped_column(String(200))
    # The policy's code for it (`other` with the person's words in `root_cause`); None when the
    # policy lists no codes and the cause is free text.
    root_cause_code: Mapped[str | None] = mapped_column(String(100), index=True)
    due_at: Mapped[int | None] = mapped_column(Instant)
    # When the clock that falls due first reaches its SLA's warning share (for the dashboard).
    warn_at: Mapped[int | None] = mapped_column(Instant)
    # Which running clock falls due first (first_response, next_response, ...): queue filters.
    due_clock: Mapped[str | None] = mapped_column(String(50))
    next_check_at: Mapped[int | None] = mapped_column(Instant)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        # Only cases with a timer are in the index: a tick's cost follows due cases, not open ones.
        Index(
            "ix_cases_next_check_at",
            "next_check_at",
            postgresql_where=text("next_check_at IS NOT NULL"),
            sqlite_where=text("next_check_at IS NOT NULL"),
        ),
        Index(
            "ix_cases_due_at",
            "due_at",
            postgresql_where=text("due_at IS NOT NULL"),
            sqlite_where=text("due_at IS NOT NULL"),
        ),
        # The cases in front of one in its team's queue (the breach forecast counts them).
        Index(
            "ix_cases_team_due_at",
            "team",
            "due_at",
            postgresql_where=text("due_at IS NOT NULL"),
            sqlite_where=text("due_at IS NOT NULL"),
        ),
        # The queue's order (escalon.cases.queries.DUE_ORDER): a page of it reads 50 index
        # entries, not every open case, with or without a search.
        Index("ix_cases_due_order", text("coalesce(due_at, 4611686018427387904)"), "id"),
    )


class Message(Base):
    """Something written on a case: by the customer, an agent (public or internal) or Escalon."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[int] = mapped_column(Instant)
    author_kind: Mapped[str] = mapped_column(String(20))  # customer, agent, system
    author: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    channel: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the agent said they spent on it (their page measures it; they may correct it).
    time_spent_seconds: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        # The staffing forecast reads the timed messages of recent weeks: few of all messages.
        Index(
            "ix_messages_timed_at",
            "at",
            postgresql_where=text("time_spent_seconds IS NOT NULL"),
            sqlite_where=text("time_spent_seconds IS NOT NULL"),
        ),
    )


class Escalation(Base):
    """A move of a case: up or down the ladder (hierarchical) or to another team (functional).

    `firing_key` is the engine's stable key of the firing (case, rule, trigger, cycle, action):
    unique, so a firing can never be recorded twice.
    """

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    firing_key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # hierarchical, functional
    action: Mapped[str] = mapped_column(String(20))  # escalate, de-escalate, route
    from_level: Mapped[str | None] = mapped_column(String(100))
    to_level: Mapped[str | None] = mapped_column(String(100))
    from_team: Mapped[str | None] = mapped_column(String(100))
    to_team: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(500))
    trigger: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    # Whose case it was when it moved (its assignee then; None when nobody held it).
    holder: Mapped[str | None] = mapped_column(String(100), index=True)
    at: Mapped[int] = mapped_column(Instant, index=True)
    recorded_at: Mapped[int] = mapped_column(Instant)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[int | None] = mapped_column(Instant)


class AuditEntry(Base):
    """One change to a case, in the order it happened. Rows are never updated or deleted
    (database triggers refuse it)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[int] = mapped_column(Instant)
    recorded_at: Mapped[int] = mapped_column(Instant)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str | None] = mapped_column(String(500))
    key: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_entries_case_id_id", "case_id", "id"),)


class ClockEvent(Base):
    """How an SLA or OLA clock cycle went (warning, breach, met, ended, untracked), for compliance
    figures; starts are not stored (the state and the messages say when cycles began)."""

    __tablename__ = "clock_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # An SLA metric, or `ola:` and the team of an OLA clock (`core.ola`).
    metric: Mapped[str] = mapped_column(String(110))
    cycle: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (Index("ix_clock_events_kind_at", "kind", "at"),)


class ApprovalRequest(Base):
    """An agent asks to grant something (a refund of an amount) on a case."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(100))
    amount: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[int] = mapped_column(Instant)
    level: Mapped[str] = mapped_column(String(100))  # the case's level when asked
    # granted, pending, approved, rejected, withdrawn
    status: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[int | None] = mapped_column(Instant)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Who asked and who decided, as users: nobody decides their own request, whatever name
    # they act under. NULL on requests made before authority belonged to people.
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The requester's authority for the kind when they asked (infinite: unlimited) and what gave
    # it to them ("own limit", "level 'frontline'"); the same for whoever decided.
    requester_authority: Mapped[float | None] = mapped_column(Float)
    requester_basis: Mapped[str | None] = mapped_column(String(200))
    decider_authority: Mapped[float | None] = mapped_column(Float)
    decider_basis: Mapped[str | None] = mapped_column(String(200))
    # The lowest level of the case's policy whose authority covers the amount (NULL: none does).
    needed_level: Mapped[str | None] = mapped_column(String(100))


class IdempotencyKey(Base):
    """A case created under a client's Idempotency-Key: a retried create returns it again."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)
