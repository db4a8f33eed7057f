"""Signed, expiring links for customers: the satisfaction survey and the case status page.

A link carries the case id, the instant it was made and a signature (itsdangerous, HMAC-SHA256)
keyed by this installation's own secret, the `link_signing` row of `instance_secrets` (made by
migration 0004, or here when it is missing). Each purpose signs with its own salt, so a status
link does not open the survey. Nothing is stored per link: the signature is the credential, and
a link is good until it is older than the purpose's lifetime.

The key is read once per process and database (keyed by the connection pool, as the team cache
in `escalon.people.staffing` is); changing the row therefore needs a restart, and makes every
link handed out before it invalid.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from typing import Any, Literal

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from escalon.channels.models import InstanceSecret
from escalon.database.engine import WRITE
from escalon.errors import EscalonError, NotFound

SECRET_NAME = "link_signing"
Purpose = Literal["survey", "status"]
PURPOSES: tuple[Purpose, ...] = ("survey", "status")
DAY_SECONDS = 86_400
# Far longer than any link this module makes; a longer "token" is not worth decoding.
MAX_TOKEN_LENGTH = 1_000


class LinkInvalid(NotFound):
    """The link was not made by this installation for this purpose, or was altered."""

    code = "link_invalid"


class LinkExpired(EscalonError):
    """The link was genuine but is older than its purpose allows."""

    status = 410
    code = "link_expired"


# -- the signing key -----------------------------------------------------------------------------


class _Keys:
    """The signing key of each database this process talks to (keyed by its connection pool)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_pool: weakref.WeakKeyDictionary[Pool, str] = weakref.WeakKeyDictionary()


_KEYS = _Keys()
_READ_KEY = select(InstanceSecret.value).where(InstanceSecret.name == SECRET_NAME)


def signing_key(session: Session) -> str:
    """This installation's link-signing secret: read once per process, made if missing."""
    connection = session.connection()
    pool = connection.engine.pool
    with _KEYS.lock:
        found = _KEYS.by_pool.get(pool)
    if found is not None:
        return found
    value = session.scalar(_READ_KEY)
    if value is None:
        if connection.get_execution_options().get(WRITE, False):
            # Inside a write transaction (SQLite holds the file's write lock): make the key in
            # it. Not kept yet: if the transaction rolls back, so does the key.
            return _make_key(connection)
        # A read transaction rolls back at its end: make the key in a transaction of its own.
        with connection.engine.execution_options(**{WRITE: True}).begin() as own:
            value = _make_key(own)
    with _KEYS.lock:
        _KEYS.by_pool[pool] = value
    return value


def _make_key(connection: Connection) -> str:
    """Insert a fresh key unless another process got there first; the one that is stored."""
    statement: Any
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(InstanceSecret)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(InstanceSecret)
    connection.execute(
        statement.on_conflict_do_nothing(),
        {"name": SECRET_NAME, "value": secrets.token_urlsafe(32)},
    )
    stored = connection.scalar(_READ_KEY)
    if stored is None:  # pragma: no cover - the row was just written or found
        raise RuntimeError("the link-signing key could not be stored")
    return str(stored)


def forget_keys() -> None:
    """Drop the cached keys (tests that replace the stored key)."""
    with _KEYS.lock:
        _KEYS.by_pool.clear()


# -- signing and reading -------------------------------------------------------------------------


class _ClockedSigner(TimestampSigner):
    """A timestamp signer that reads the time it is given (the service's clock) if any."""

    def __init__(self, *args: Any, now: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        """The signing instant, in whole seconds since 1970."""
        return int(time.time() if self.now is None else self.now)


def _serializer(session: Session, purpose: Purpose, now: float | None) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r} (known: {', '.join(PURPOSES)})")
    return URLSafeTimedSerializer(
        signing_key(session),
        salt=f"escalon.link.{purpose}",
        signer=_ClockedSigner,
        signer_kwargs={"now": now, "digest_method": hashlib.sha256},
    )


def make_token(
    session: Session, case_id: int, *, purpose: Purpose, now: float | None = None
) -> str:
    """A signed token naming the case for `purpose`, dated `now` (seconds; the real time if None)."""
    return str(_serializer(session, purpose, now).dumps(case_id))


def survey_token(session: Session, case_id: int, *, now: float | None = None) -> str:
    """The token of the case's satisfaction survey link."""
    return make_token(session, case_id, purpose="survey", now=now)


def status_token(session: Session, case_id: int, *, now: float | None = None) -> str:
    """The token of the case's status page link."""
    return make_token(session, case_id, purpose="status", now=now)


def read_token(
    session: Session,
    token: str,
    *,
    purpose: Purpose,
    max_age_seconds: float,
    now: float | None = None,
) -> int:
    """The case id a token names; LinkInvalid if it is not genuine for `purpose`, LinkExpired if
    it was signed more than `max_age_seconds` before `now` (seconds; the real time if None)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("this link is not valid")
    try:
        payload, signed_at = _serializer(session, purpose, now).loads(token, return_timestamp=True)
    except BadSignature:
        raise LinkInvalid("this link is not valid") from None
    if not isinstance(payload, int) or isinstance(payload, bool) or payload < 1:
        raise LinkInvalid("this link is not valid")
    at = time.time() if now is None else now
    # A link dated after `now` was still made here (another process's clock ran ahead): valid.
    if at - signed_at.timestamp() > max_age_seconds:
        raise LinkExpired("this link has expired")
    return payload


# -- addresses -----------------------------------------------------------------------------------


def survey_url(session: Session, case_id: int, base_url: str, *, now: float | None = None) -> str:
    """Where the customer answers the survey: `{base_url}/survey/{token}`."""
    return f"{base_url.rstrip('/')}/survey/{survey_token(session, case_id, now=now)}"


def status_url(session: Session, case_id: int, base_url: str, *, now: float | None = None) -> str:
    """Where the customer follows the case: `{base_url}/status/{token}`."""
    return f"{base_url.rstrip('/')}/status/{status_token(session, case_id, now=now)}"
