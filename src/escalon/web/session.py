"""Dashboard sessions: a signed cookie that names an API token, and CSRF tokens for its forms.

A person signs in by pasting an API token (users have no passwords). The cookie never holds the
token itself, only its id and SHA-256, signed with the installation secret
(`escalon.channels.links.signing_key`) under a salt of its own; every request checks again that
the token is still alive (not revoked or expired, its user active), so revoking the token ends
the session too.

Every POST form carries a CSRF token: an HMAC of the session's random nonce (or, before sign-in,
of a nonce kept in a cookie of its own), keyed by the same secret with a distinct salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth import service as auth
from escalon.auth.models import ApiToken, User
from escalon.people.models import Agent

COOKIE = "escalon_session"
SIGN_IN_COOKIE = "escalon_sign_in"
SALT = "escalon.ui.session"
CSRF_SALT = "escalon.ui.csrf"
MAX_AGE_SECONDS = 12 * 3600
SIGN_IN_MAX_AGE_SECONDS = 3600
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class UiSession:
    """What the session cookie says: whose token, and the nonce its CSRF tokens derive from."""

    user_id: int
    token_id: int
    token_hash: str
    nonce: str


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def new_session(principal: auth.Principal) -> UiSession:
    """A fresh session for someone who just signed in with a valid token."""
    return UiSession(
        principal.user_id, principal.token_id, principal.token_hash, secrets.token_urlsafe(16)
    )


def dump(key: str, ui: UiSession) -> str:
    """The cookie value of a session."""
    return str(
        _serializer(key).dumps(
            {"u": ui.user_id, "t": ui.token_id, "h": ui.token_hash, "n": ui.nonce}
        )
    )


def load(key: str, value: str | None) -> UiSession | None:
    """The session a cookie value holds; None when absent, tampered with or older than 12 h."""
    if not value:
        return None
    try:
        data: Any = _serializer(key).loads(value, max_age=MAX_AGE_SECONDS)
        return UiSession(int(data["u"]), int(data["t"]), str(data["h"]), str(data["n"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def csrf_token(key: str, nonce: str) -> str:
    """The CSRF token of the forms of a session (or of the sign-in form, by its nonce)."""
    message = f"{CSRF_SALT}:{nonce}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def csrf_ok(key: str, nonce: str | None, sent: str | None) -> bool:
    """Whether a form's CSRF token is the one this session gave out."""
    if not nonce or not sent:
        return False
    return hmac.compare_digest(csrf_token(key, nonce), sent)


def principal_of(session: Session, ui: UiSession, *, now: int) -> auth.Principal | None:
    """The principal of a session's token when it is still alive; None otherwise.

    The same checks as `auth.authenticate` (unknown, revoked, expired, deactivated user), made
    by the token's hash, since the cookie does not hold the token.
    """
    row = session.execute(
        select(
            ApiToken.id,
            ApiToken.expires_at,
            ApiToken.revoked_at,
            User.id,
            User.username,
            User.role,
            User.active,
            Agent.handle,
        )
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .where(ApiToken.token_hash == ui.token_hash, ApiToken.id == ui.token_id)
    ).first()
    if row is None:
        return None
    token_id, expires_at, revoked_at, user_id, username, role, active, agent = row
    if revoked_at is not None or (expires_at is not None and expires_at <= now) or not active:
        return None
    if user_id != ui.user_id:
        return None
    return auth.Principal(user_id, username, role, agent, token_id, ui.token_hash)


def new_nonce() -> str:
    """A random value for the sign-in form's CSRF cookie."""
    return secrets.token_urlsafe(16)
