"""Tables of users and API tokens."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class User(Base):
    """Someone (or some system) that calls Escalon, with one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    # The agent this user acts as on cases (acknowledging, replying...), if any.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(Instant)


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the token is shown once, when created."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(Instant)
    expires_at: Mapped[int | None] = mapped_column(Instant)
    last_used_at: Mapped[int | None] = mapped_column(Instant)
    revoked_at: Mapped[int | None] = mapped_column(Instant)


class DashboardSession(Base):
    """A signed-in dashboard session. The cookie holds a random secret; only its SHA-256 is
    stored, so a copy of the database opens no session."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The token the person signed in with: revoking it ends the session.
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    created_at: Mapped[int] = mapped_column(Instant)
    last_seen_at: Mapped[int] = mapped_column(Instant)
    expires_at: Mapped[int] = mapped_column(Instant)
    ended_at: Mapped[int | None] = mapped_column(Instant)
    # signed_out, token_revoked, user_disabled, role_changed, ended_by_admin
    ended_reason: Mapped[str | None] = mapped_column(String(30))
