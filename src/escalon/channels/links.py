"""Signed, expiring links for customers: the satisfaction survey and the case status page.

A link carries the case id, the instant it was made and a signature (itsdangerous, HMAC-SHA256)
keyed by this installation's customer-link key, derived from the keys kept outside the database
(`escalon.keys`): a copy of the database cannot make or alter a link. Each purpose signs with
its own salt, so a status link does not open the survey. Nothing is stored per link: the
signature is the credential, and a link is good until it is older than the purpose's lifetime.

After `escalon keys rotate` new links are signed with the new key, and links signed with the old
one still open until the old key's grace period ends (at least the longest link lifetime).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Literal

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from escalon import keys
from escalon.errors import EscalonError, NotFound

Purpose = Literal["survey", "status"]
PURPOSES: tuple[Purpose, ...] = ("survey", "status")
DAY_SECONDS = 86_400
# Far longer than any link this module makes; a longer "token" is not worth decoding.
MAX_TOKEN_LENGTH = 1_000


class LinkInvalid(NotFound, code="link_invalid"):
    """The link was not made by this installation for this purpose, or was altered."""


class LinkExpired(EscalonError, status=410, code="link_expired"):
    """The link was genuine but is older than its purpose allows."""


class _ClockedSigner(TimestampSigner):
    """A timestamp signer that reads the time it is given (the service's clock) if any."""

    def __init__(self, *args: Any, now: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        """The signing instant, in whole seconds since 1970."""
        return int(time.time() if self.now is None else self.now)


def _serializer(
    purpose: Purpose, now: float | None, keyring: keys.Keyring | None, *, signing: bool
) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r} (known: {', '.join(PURPOSES)})")
    ring = keyring or keys.current()
    if signing:
        secret_keys = [ring.signing_key(keys.LINKS)]
    else:
        at_us = int((time.time() if now is None else now) * 1_000_000)
        # itsdangerous signs with the last key and tries them all: newest last.
        secret_keys = list(reversed(ring.verifying_keys(keys.LINKS, at_us)))
    return URLSafeTimedSerializer(
        secret_keys,
        salt=f"escalon.link.{purpose}",
        signer=_ClockedSigner,
        signer_kwargs={"now": now, "digest_method": hashlib.sha256},
    )


def make_token(
    case_id: int,
    *,
    purpose: Purpose,
    now: float | None = None,
    keyring: keys.Keyring | None = None,
) -> str:
    """A signed token naming the case for `purpose`, dated `now` (seconds; the real time if None)."""
    return str(_serializer(purpose, now, keyring, signing=True).dumps(case_id))


def survey_token(
    case_id: int, *, now: float | None = None, keyring: keys.Keyring | None = None
) -> str:
    """The token of the case's satisfaction survey link."""
    return make_token(case_id, purpose="survey", now=now, keyring=keyring)


def status_token(
    case_id: int, *, now: float | None = None, keyring: keys.Keyring | None = None
) -> str:
    """The token of the case's status page link."""
    return make_token(case_id, purpose="status", now=now, keyring=keyring)


def read_token(
    token: str,
    *,
    purpose: Purpose,
    max_age_seconds: float,
    now: float | None = None,
    keyring: keys.Keyring | None = None,
) -> int:
    """The case id a token names; LinkInvalid if it is not genuine for `purpose` (or its key's
    grace period is over), LinkExpired if it was signed more than `max_age_seconds` before
    `now` (seconds; the real time if None)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("this link is not valid")
    try:
        payload, signed_at = _serializer(purpose, now, keyring, signing=False).loads(
            token, return_timestamp=True
        )
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


def survey_url(case_id: int, base_url: str, *, now: float | None = None) -> str:
    """Where the customer answers the survey: `{base_url}/survey/{token}`."""
    return f"{base_url.rstrip('/')}/survey/{survey_token(case_id, now=now)}"


def status_url(case_id: int, base_url: str, *, now: float | None = None) -> str:
    """Where the customer follows the case: `{base_url}/status/{token}`."""
    return f"{base_url.rstrip('/')}/status/{status_token(case_id, now=now)}"
