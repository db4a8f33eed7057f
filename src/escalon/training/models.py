"""Tables of the training ground: the scenario library and the practice sessions played."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class TrainingScenario(Base):
    """One scenario of the library: its file as data, and how the supervisors filed it."""

    __tablename__ = "training_scenarios"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str] = mapped_column(String(40))
    skills: Mapped[list[str]] = mapped_column(JSON)
    difficulty: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # twcs, events, database, hand
    # The scenario document (`core.training.scenario`), checked when stored.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # listed (offered to trainees), hidden (kept, offered to nobody)
    status: Mapped[str] = mapped_column(String(20), default="listed")
    # A supervisor's recommendation: listed first.
    featured: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(Instant)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (Index("ix_training_scenarios_skill_status", "skill", "status"),)


class PracticeSession(Base):
    """One trainee's play of a scenario in its own sandbox database.

    The scenario is copied in as played, so a later edit of the library does not change what a
    finished session was scored against. Times are real instants (µs) except the `virtual_*`
    ones, which are the sandbox's clock.
    """

    __tablename__ = "practice_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # The session's name in addresses and the sandbox's file name: random, never an id that
    # counts up (a guessed address still needs the trainee's own sign-in).
    key: Mapped[str] = mapped_column(String(40), unique=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("training_scenarios.id"))
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    skill: Mapped[str] = mapped_column(String(40))
    difficulty: Mapped[int] = mapped_column(Integer)
    trainee_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    trainee: Mapped[str] = mapped_column(String(100))
    # scripted: the scenario's customer; role_play: a supervisor writes as the customer.
    mode: Mapped[str] = mapped_column(String(20), default="scripted")
    role_player_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    speed: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, finished
    started_at: Mapped[int] = mapped_column(Instant)
    virtual_start: Mapped[int] = mapped_column(Instant)
    finished_at: Mapped[int | None] = mapped_column(Instant)
    virtual_end: Mapped[int | None] = mapped_column(Instant)
    # The case the trainee works and their user, inside the sandbox (not ids of this database).
    sandbox_case_id: Mapped[int] = mapped_column(Integer)
    sandbox_user_id: Mapped[int] = mapped_column(Integer)
    # When the sandbox's SLA wanted the first answer (None: the policy set no such target).
    first_response_due: Mapped[int | None] = mapped_column(Instant)
    score: Mapped[int | None] = mapped_column(Integer)
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_practice_sessions_trainee_started", "trainee_user_id", "started_at"),
        Index("ix_practice_sessions_status", "status"),
    )
