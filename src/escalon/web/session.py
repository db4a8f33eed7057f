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
from sqlalchemy.orm import Session

from escalon.auth import service as auth
from escalon.errors import Unauthenticated

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


def principal_of(
    session: Session, ui: UiSession, *, now: int, cache_seconds: float = 0
) -> auth.Principal | None:
    """The principal of a session's token when it is still alive; None otherwise.

    The API's own check (`auth.authenticate_hash`: unknown, revoked, expired, deactivated
    user), by the token's hash, since the cookie does not hold the token.
    """
    try:
        principal = auth.authenticate_hash(
            session, ui.token_hash, now=now, cache_seconds=cache_seconds
        )
    except Unauthenticated:
        return None
    if principal.token_id != ui.token_id or principal.user_id != ui.user_id:
        return None
    return principal


def new_nonce() -> str:
    """A random value for the sign-in form's CSRF cookie."""
    return secrets.token_urlsafe(16)
