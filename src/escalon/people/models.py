"""Tables of teams and agents."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
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
    members: Mapped[list[Agent]] = relationship(
        secondary=team_members, back_populates="teams", order_by="Agent.handle"
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
    created_at: Mapped[int] = mapped_column(Instant)
    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )
