"""Users, API tokens and roles: create them, and tell who a bearer token belongs to."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from escalon.auth import sessions
from escalon.auth.models import ApiToken, User
from escalon.core.state import from_us
from escalon.errors import Conflict, Invalid, Unauthenticated, found
from escalon.people.models import Agent

ROLES = ("admin", "supervisor", "agent", "integration")
TOKEN_PREFIX = "esc_"
# last_used_at is a hint for operators, not an audit record: write it at most this often.
LAST_USED_EVERY_US = 60 * 1_000_000
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from."""

    user_id: int
    username: str
    role: str
    agent: str | None  # the handle of the agent this user acts as
    token_id: int
    token_hash: str = ""
    token_expires_at: int | None = None  # µs; None: the token never expires

    @property
    def name(self) -> str:
        """How cases and the audit trail name them: their agent handle, else their username."""
        return self.agent or self.username


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are random, so no salt or stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random bearer token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    now: int,
    display_name: str = "",
    email: str | None = None,
    agent: str | None = None,
) -> User:
    """Add a user; `agent` links them to the agent with that handle."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"a user named {username!r} already exists")
    agent_id = None
    if agent is not None:
        agent_id = session.scalar(select(Agent.id).where(Agent.handle == agent))
        if agent_id is None:
            raise Invalid(f"no agent has the handle {agent!r}")
        if session.scalar(select(User.id).where(User.agent_id == agent_id)) is not None:
            raise Conflict(f"agent {agent!r} is already linked to another user")
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        email=email,
        agent_id=agent_id,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def user_by_name(session: Session, username: str) -> User:
    """A user by username; NotFound otherwise."""
    user = session.scalars(select(User).where(User.username == username)).first()
    return found(user, f"no user is named {username!r}")


def token_expiry(
    *,
    now: int,
    lifetime_days: int | None,
    never_expires: bool,
    default_days: int,
    minted_by: Principal | None,
) -> int | None:
    """When a new token expires: after `lifetime_days`, else the default lifetime; never only
    when asked for (the caller checks who may ask). A token minted with another token cannot
    outlive it: a default lifetime is shortened to the minting token's, an explicit one beyond
    it is refused."""
    if never_expires and lifetime_days is not None:
        raise Invalid("a token either expires after some days or never expires, not both")
    expires = None if never_expires else now + (lifetime_days or default_days) * US_PER_DAY
    limit = None if minted_by is None else minted_by.token_expires_at
    if limit is None or (expires is not None and expires <= limit):
        return expires
    if lifetime_days is None and not never_expires:
        return limit
    raise Invalid(
        "a token cannot outlive the token that creates it: yours expires at "
        f"{from_us(limit).isoformat()}; ask for fewer days, or use a longer-lived token"
    )


def create_token(
    session: Session, *, user: User, now: int, name: str = "", expires_at: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for a user: (the stored record, the token itself, shown this once only)."""
    if not user.active:
        raise Conflict(f"user {user.username!r} is disabled: enable them first")
    token = new_token()
    record = ApiToken(
        user_id=user.id,
        name=name,
        prefix=token[:12],
        token_hash=hash_token(token),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return record, token


def revoke_token(session: Session, *, token_id: int, now: int) -> ApiToken:
    """Revoke a token and end the dashboard sessions opened with it. This process stops
    accepting it at once; other processes within ESCALON_TOKEN_CACHE_SECONDS."""
    record = found(session.get(ApiToken, token_id), f"token {token_id} does not exist")
    if record.revoked_at is None:
        record.revoked_at = now
        session.flush()
    sessions.end_for_token(session, token_id=token_id, now=now, reason="token_revoked")
    _cache.clear()
    return record


@dataclass(frozen=True, slots=True)
class UserChange:
    """What `update_user` changed, for the audit trail."""

    user: User
    role_from: str | None  # the old role, when it changed
    disabled: bool
    enabled: bool
    revoked_tokens: list[int]
    ended_sessions: int

    @property
    def changed(self) -> bool:
        """Whether anything changed at all."""
        return self.role_from is not None or self.disabled or self.enabled


def update_user(
    session: Session,
    *,
    username: str,
    now: int,
    role: str | None = None,
    active: bool | None = None,
) -> UserChange:
    """Change a user's role or disable/enable them. A new role or a disabled user ends every
    token and dashboard session they hold (they get new tokens for the new role); the last
    active admin can be neither disabled nor demoted."""
    if role is not None and role not in ROLES:
        raise Invalid(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    # Locked for the change: two admins demoting each other at once cannot both succeed.
    locked = select(User).where(User.username == username).with_for_update()
    user = found(session.scalars(locked).first(), f"no user is named {username!r}")
    role_from = user.role if role is not None and role != user.role else None
    disabled = active is False and user.active
    enabled = active is True and not user.active
    losing_admin = user.role == "admin" and user.active and (role_from is not None or disabled)
    if losing_admin and _active_admins(session) <= 1:
        raise Conflict(
            f"{username!r} is the last active admin: make another admin first, so someone "
            "can still manage users"
        )
    revoked: list[int] = []
    ended = 0
    if role_from is not None or disabled:
        reason = "user_disabled" if disabled else "role_changed"
        revoked = list(
            session.scalars(
                select(ApiToken.id).where(
                    ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
                )
            )
        )
        if revoked:
            session.execute(update(ApiToken).where(ApiToken.id.in_(revoked)).values(revoked_at=now))
        ended = sessions.end_for_user(session, user_id=user.id, now=now, reason=reason)
    if role_from is not None:
        user.role = str(role)
    if disabled or enabled:
        user.active = bool(active)
    session.flush()
    _cache.clear()
    return UserChange(user, role_from, disabled, enabled, revoked, ended)


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        or 0
    )


@dataclass(slots=True)
class _Cached:
    principal: Principal
    expires_at: int | None
    checked_at: float


class _TokenCache:
    """Recently verified tokens, so each request does not cost a database round trip."""

    def __init__(self) -> None:
        self._entries: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str, ttl: float) -> _Cached | None:
        entry = self._entries.get(token_hash)
        if entry is None or time.monotonic() - entry.checked_at > ttl:
            return None
        return entry

    def put(self, token_hash: str, entry: _Cached) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token_hash] = entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _TokenCache()
# When this process last wrote each token's last_used_at.
# (Keyed by token hash, not id: ids start again in a new database, hashes never repeat.)
_last_used: dict[str, int] = {}


def cached_principal(token: str, *, now: int, cache_seconds: float) -> Principal | None:
    """The principal of a recently verified token, without asking the database (or None)."""
    if cache_seconds <= 0:
        return None
    cached = _cache.get(hash_token(token), cache_seconds)
    if cached is not None and (cached.expires_at is None or cached.expires_at > now):
        return cached.principal
    return None


def authenticate(session: Session, token: str, *, now: int, cache_seconds: float) -> Principal:
    """The principal a bearer token belongs to; Unauthenticated when it is unknown or dead."""
    return authenticate_hash(session, hash_token(token), now=now, cache_seconds=cache_seconds)


def authenticate_hash(
    session: Session, token_hash: str, *, now: int, cache_seconds: float
) -> Principal:
    """`authenticate` for a caller that keeps only the token's hash (a dashboard session)."""
    if cache_seconds > 0:
        cached = _cache.get(token_hash, cache_seconds)
        if cached is not None and (cached.expires_at is None or cached.expires_at > now):
            return cached.principal
    row = session.execute(
        select(
            ApiToken.id,
            ApiToken.expires_at,
            ApiToken.revoked_at,
            ApiToken.last_used_at,
            User.id,
            User.username,
            User.role,
            User.active,
            Agent.handle,
        )
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .where(ApiToken.token_hash == token_hash)
    ).first()
    if row is None:
        raise Unauthenticated("unknown API token")
    token_id, expires_at, revoked_at, last_used, user_id, username, role, active, agent = row
    if last_used is not None:
        _last_used[token_hash] = max(_last_used.get(token_hash, 0), last_used)
    if revoked_at is not None:
        raise Unauthenticated("this API token has been revoked")
    if expires_at is not None and expires_at <= now:
        raise Unauthenticated("this API token has expired")
    if not active:
        raise Unauthenticated(f"user {username!r} is deactivated")
    principal = Principal(user_id, username, role, agent, token_id, token_hash, expires_at)
    _cache.put(token_hash, _Cached(principal, expires_at, time.monotonic()))
    return principal


def needs_last_used(principal: Principal, *, now: int) -> bool:
    """Whether the token's last_used_at is worth writing now (at most once a minute)."""
    return _last_used.get(principal.token_hash, 0) < now - LAST_USED_EVERY_US


def mark_used(session: Session, principal: Principal, *, now: int) -> None:
    """Record that a token was used (in a write transaction of its own)."""
    session.execute(
        update(ApiToken).where(ApiToken.id == principal.token_id).values(last_used_at=now)
    )
    _last_used[principal.token_hash] = now
