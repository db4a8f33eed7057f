"""Dashboard sessions as rows: started by signing in with an API token, ended by signing out,
by revoking that token, by disabling the user or changing their role, and by expiry.

The browser holds a random secret (256 bits); the database holds only its SHA-256, so a copy
of the database holds no usable session. Every request looks the session up again, together
with its token and user, so an ended session ends at once in every process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from escalon.auth.models import ApiToken, DashboardSession, User
from escalon.errors import NotFound
from escalon.people.models import Agent

# last_seen_at feeds the idle timeout: written at most this often (a write per page is waste).
TOUCH_EVERY_US = 60 * 1_000_000
REASONS = ("signed_out", "token_revoked", "user_disabled", "role_changed", "ended_by_admin")


def hash_secret(secret: str) -> str:
    """What is stored of a session's secret: its SHA-256 (the secret is random: no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Opened:
    """A session that is alive, with the person it belongs to."""

    id: int
    secret_hash: str
    user_id: int
    username: str
    role: str
    agent: str | None
    token_id: int
    token_hash: str
    token_expires_at: int | None
    last_seen_at: int
    expires_at: int

    def needs_touch(self, now: int) -> bool:
        """Whether last_seen_at is old enough to be worth writing again."""
        return self.last_seen_at < now - TOUCH_EVERY_US


def start(
    session: Session,
    *,
    user_id: int,
    token_id: int,
    token_expires_at: int | None,
    now: int,
    lifetime_us: int,
) -> tuple[DashboardSession, str]:
    """A new session for someone who just signed in: (the row, the secret for the cookie).
    It never outlives the token it was opened with."""
    secret = secrets.token_urlsafe(32)
    expires = now + lifetime_us
    if token_expires_at is not None:
        expires = min(expires, token_expires_at)
    row = DashboardSession(
        secret_hash=hash_secret(secret),
        user_id=user_id,
        token_id=token_id,
        created_at=now,
        last_seen_at=now,
        expires_at=expires,
    )
    session.add(row)
    session.flush()
    return row, secret


def opened(session: Session, secret: str, *, now: int, idle_us: int) -> Opened | None:
    """The live session a cookie's secret opens; None when unknown, ended, past its lifetime,
    idle too long, or when its token or user is no longer good."""
    if not secret or len(secret) > 200:
        return None
    row = session.execute(
        select(
            DashboardSession.id,
            DashboardSession.secret_hash,
            DashboardSession.last_seen_at,
            DashboardSession.expires_at,
            DashboardSession.ended_at,
            ApiToken.id,
            ApiToken.token_hash,
            ApiToken.expires_at,
            ApiToken.revoked_at,
            User.id,
            User.username,
            User.role,
            User.active,
            Agent.handle,
        )
        .join(ApiToken, ApiToken.id == DashboardSession.token_id)
        .join(User, User.id == DashboardSession.user_id)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .where(DashboardSession.secret_hash == hash_secret(secret))
    ).first()
    if row is None:
        return None
    (
        session_id,
        secret_hash,
        last_seen,
        expires_at,
        ended_at,
        token_id,
        token_hash,
        token_expires,
        revoked_at,
        user_id,
        username,
        role,
        active,
        agent,
    ) = row
    if ended_at is not None or expires_at <= now or last_seen + idle_us <= now:
        return None
    if revoked_at is not None or (token_expires is not None and token_expires <= now):
        return None
    if not active:
        return None
    return Opened(
        session_id,
        secret_hash,
        user_id,
        username,
        role,
        agent,
        token_id,
        token_hash,
        token_expires,
        last_seen,
        expires_at,
    )


def touch(session: Session, *, session_id: int, now: int) -> None:
    """Record that a session was used (it stays alive another idle period)."""
    session.execute(
        update(DashboardSession)
        .where(DashboardSession.id == session_id, DashboardSession.ended_at.is_(None))
        .values(last_seen_at=now)
    )


def end(session: Session, *, session_id: int, now: int, reason: str) -> DashboardSession:
    """End one session (a no-op when it has ended already); NotFound when there is none."""
    row = session.get(DashboardSession, session_id)
    if row is None:
        raise NotFound(f"session {session_id} does not exist")
    if row.ended_at is None:
        row.ended_at = now
        row.ended_reason = reason
        session.flush()
    return row


def _end_where(session: Session, condition: ColumnElement[bool], *, now: int, reason: str) -> int:
    result = session.execute(
        update(DashboardSession)
        .where(condition, DashboardSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def end_for_token(session: Session, *, token_id: int, now: int, reason: str) -> int:
    """End every open session opened with a token; how many."""
    return _end_where(session, DashboardSession.token_id == token_id, now=now, reason=reason)


def end_for_user(session: Session, *, user_id: int, now: int, reason: str) -> int:
    """End every open session of a user; how many."""
    return _end_where(session, DashboardSession.user_id == user_id, now=now, reason=reason)


def listed(
    session: Session,
    *,
    now: int,
    idle_us: int,
    user_id: int | None = None,
    include_ended: bool = False,
) -> list[tuple[DashboardSession, str]]:
    """Sessions (with their usernames), newest first: the live ones unless `include_ended`."""
    query = select(DashboardSession, User.username).join(User, User.id == DashboardSession.user_id)
    if user_id is not None:
        query = query.where(DashboardSession.user_id == user_id)
    if not include_ended:
        query = query.where(
            DashboardSession.ended_at.is_(None),
            DashboardSession.expires_at > now,
            DashboardSession.last_seen_at > now - idle_us,
        )
    return [
        (row, name) for row, name in session.execute(query.order_by(DashboardSession.id.desc()))
    ]
