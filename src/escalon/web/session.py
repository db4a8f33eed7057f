"""Dashboard sessions in the browser: the session cookie, and CSRF tokens for its forms.

A person signs in by pasting an API token (users have no passwords). The session itself is a
row (`escalon.auth.sessions`): the cookie holds only a random secret whose SHA-256 the row
keeps, never the token. Every request looks the session up again, so signing out, revoking the
token, disabling the user or changing their role ends it at once.

Every POST form carries a CSRF token: an HMAC of the session (or, before sign-in, of a nonce
kept in a cookie of its own), keyed by the dashboard-CSRF key derived from the keys kept outside
the database (`escalon.keys`). Tokens made under a key that was rotated out still pass during
its grace period.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from escalon import keys

COOKIE = "escalon_session"
SIGN_IN_COOKIE = "escalon_sign_in"
CSRF_SALT = "escalon.ui.csrf"
SIGN_IN_MAX_AGE_SECONDS = 3600
CSRF_FIELD = "csrf_token"


def _mac(key: bytes, nonce: str) -> str:
    return hmac.new(key, f"{CSRF_SALT}:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_token(nonce: str, *, keyring: keys.Keyring | None = None) -> str:
    """The CSRF token of the forms of a session (or of the sign-in form, by its nonce)."""
    ring = keyring or keys.current()
    return _mac(ring.signing_key(keys.CSRF), nonce)


def csrf_ok(
    nonce: str | None, sent: str | None, *, now: int, keyring: keys.Keyring | None = None
) -> bool:
    """Whether a form's CSRF token is one this installation gave out for `nonce` (µs `now`)."""
    if not nonce or not sent:
        return False
    ring = keyring or keys.current()
    found = False
    for key in ring.verifying_keys(keys.CSRF, now):
        # Every key is tried, so the time taken does not say which one matched.
        found |= hmac.compare_digest(_mac(key, nonce), sent)
    return found


def new_nonce() -> str:
    """A random value for the sign-in form's CSRF cookie."""
    return secrets.token_urlsafe(16)
