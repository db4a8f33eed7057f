"""Tables of teams and agents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from escalon.database.base import Base, Id, Instant

team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    """A group of people that owns cases: a level's team or a functional team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(Instant)
    # The on-call rotation as written (escalon.core.rotations format), checked when stored.
    rotation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # How new cases of the team get a person (escalon.core.assignment); None: they wait in the
    # team's queue until someone takes them.
    assignment: Mapped[str | None] = mapped_column(String(20))
    # Whom the team's round robin gave its latest case.
    last_assignee: Mapped[str | None] = mapped_column(String(100))
    # The address the team's mail to customers comes from (None: ESCALON_MAIL_FROM).
    support_address: Mapped[str | None] = mapped_column(String(320))
    # When the team's cases waiting for an owner are to be handed out next (None: nothing to
    # do until a case waits and someone can take it): a timer the worker claims, like a case's.
    handout_at: Mapped[int | None] = mapped_column(Instant)
    members: Mapped[list[Agent]] = relationship(
        secondary=team_members, back_populates="teams", order_by="Agent.handle"
    )

    __table_args__ = (
        Index(
            "ix_teams_handout_at",
            "handout_at",
            postgresql_where=text("handout_at IS NOT NULL"),
            sqlite_where=text("handout_at IS NOT NULL"),
        ),
    )


class Agent(Base):
    """A person who handles cases."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    level: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer, default=20)
    status: Mapped[str] = mapped_column(String(20), default="available")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    chat: Mapped[str | None] = mapped_column(String(200))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Calendar `hours` (or "always"); None: no working hours set, always working.
    working_hours: Mapped[Any] = mapped_column(JSON, nullable=True)
    # What they may grant on their own, per kind (beyond their level's authority), if set.
    authority: Mapped[dict[str, float | str] | None] = mapped_column(JSON)
    # Cases assigned to them that are not resolved or closed, kept by every case write.
    open_cases: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[int] = mapped_column(Instant)
    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )
