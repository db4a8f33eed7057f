"""Rate limits at the HTTP edge: who the client is, which limit a request counts against, and
`RateLimited` (answered 429 with `Retry-After` by `escalon.api.limits.install`).

The counting itself is `escalon.ratelimits.counters`, shared by every API process through the
database. What is limited:

| rule          | subject                  | counts                                               |
|---------------|--------------------------|------------------------------------------------------|
| `token`       | the API token            | every authenticated API request                      |
| `client`      | the client address       | the customers' status and survey pages, the sign-in page |
| `auth`        | the client address       | failed authentications: a missing or wrong API token, a failed sign-in |
| `form-client` | the client address       | contact form posts                                   |
| `form-email`  | the form's e-mail address | contact form posts                                  |

A client over its `auth` limit gets 429 before any token it sends is checked, so guessing
tokens from one address is slow, whatever it guesses.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from escalon.clock import Clock
from escalon.config import Settings
from escalon.database import Database
from escalon.errors import EscalonError, Unauthenticated
from escalon.ratelimits import clients
from escalon.ratelimits.counters import US, Rule, SharedLimiter, Verdict

# The HTTP edge's background sync logs where it did when it lived in the API package.
log = logging.getLogger("escalon.api")

SWEEP_SECONDS = 60.0  # how often expired counters are deleted from the database


class _Token(Protocol):
    """Who made an authenticated request: what a token's limit counts on."""

    @property
    def token_id(self) -> int: ...


class RateLimited(EscalonError, status=429, code="rate_limited"):
    """Too many requests: try again after `retry_after` seconds."""

    def __init__(self, message: str, *, wait_seconds: float) -> None:
        self.retry_after = retry_after(wait_seconds)
        super().__init__(f"{message}; try again in {self.retry_after} s")


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


@dataclass(frozen=True, slots=True)
class Rules:
    """The limits of this application, from the settings."""

    token: Rule
    client: Rule
    auth: Rule
    form_client: Rule
    form_email: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        """Each limit with its window (a limit of 0 is off)."""
        window = round(settings.rate_limit_window_seconds * US)
        auth_window = round(settings.rate_limit_auth_window_seconds * US)
        form_window = round(settings.form_rate_window_seconds * US)
        return cls(
            token=Rule("token", settings.rate_limit_token, window),
            client=Rule("client", settings.rate_limit_client, window),
            auth=Rule("auth", settings.rate_limit_auth_failures, auth_window),
            form_client=Rule("form-client", settings.form_rate_limit, form_window),
            form_email=Rule("form-email", settings.form_rate_limit, form_window),
        )


class RateLimits:
    """The application's limiter, its rules, and how it finds the client of a request."""

    def __init__(self, settings: Settings, database: Database, clock: Clock) -> None:
        self.rules = Rules.from_settings(settings)
        self.limiter = SharedLimiter(database, clock, sync_hits=settings.rate_limit_sync_hits)
        self.trusted = clients.parse_networks(settings.trusted_proxies)
        self.header: clients.ProxyHeader = settings.proxy_header
        self.sync_seconds = settings.rate_limit_sync_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the client --------------------------------------------------------------------------

    def client_of(self, request: Request) -> str:
        """The client's address (see `escalon.ratelimits.clients`); the one place it is read."""
        peer = request.client.host if request.client is not None else None
        forwarded = request.headers.getlist(self.header) if self.trusted else []
        return clients.client_address(peer, forwarded, trusted=self.trusted, header=self.header)

    def _client_subject(self, request: Request) -> str:
        return clients.limit_subject(self.client_of(request))

    # -- what the views call -----------------------------------------------------------------

    async def count_token(self, principal: _Token) -> None:
        """Count an authenticated API request on its token; RateLimited over the limit."""
        verdict = self.limiter.hit(((self.rules.token, str(principal.token_id)),))
        await self._finish(verdict, "too many requests with this API token")

    async def refuse_guessing(self, request: Request) -> None:
        """RateLimited when the client has failed to authenticate too often (nothing counted)."""
        wait = self.limiter.peek(self.rules.auth, self._client_subject(request))
        if wait is not None:
            raise RateLimited(
                "too many failed authentications from this address", wait_seconds=wait
            )

    async def count_failure(self, request: Request) -> None:
        """Count a failed authentication of the client (the 401 itself still goes out)."""
        verdict = self.limiter.hit(((self.rules.auth, self._client_subject(request)),))
        if verdict.due:
            await run_in_threadpool(self.limiter.sync, verdict.due)

    async def count_client(self, request: Request) -> None:
        """Count a request to a public page on its client; RateLimited over the limit."""
        verdict = self.limiter.hit(((self.rules.client, self._client_subject(request)),))
        await self._finish(verdict, "too many requests from this address")

    @contextmanager
    def sign_in_attempt(self, request: Request) -> Iterator[None]:
        """Around checking a pasted token (in a worker thread): RateLimited before, when the
        client failed too often; a failure counted when the block raises Unauthenticated."""
        subject = self._client_subject(request)
        wait = self.limiter.peek(self.rules.auth, subject)
        if wait is not None:
            raise RateLimited("too many failed sign-ins from this address", wait_seconds=wait)
        try:
            yield
        except Unauthenticated:
            self.limiter.take(((self.rules.auth, subject),))
            raise

    def contact_form(self, request: Request, email: str) -> None:
        """Count a contact form post on its client and its e-mail address (in a worker thread);
        RateLimited when either is over the limit (then nothing is counted)."""
        wait = self.limiter.take(
            (
                (self.rules.form_client, self._client_subject(request)),
                (self.rules.form_email, email.strip().lower()),
            )
        )
        if wait is not None:
            raise RateLimited("too many messages", wait_seconds=wait)

    async def _finish(self, verdict: Verdict, message: str) -> None:
        if verdict.wait is not None:
            raise RateLimited(message, wait_seconds=verdict.wait)
        if verdict.due:
            await run_in_threadpool(self.limiter.sync, verdict.due)

    # -- the steady sync -------------------------------------------------------------------

    def start(self) -> None:
        """Sync every counter at the configured pace in a background thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="escalon-rate-limits", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and add what is left to the shared counters."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.limiter.flush()

    def _run(self) -> None:
        swept = 0.0
        while not self._stop.wait(self.sync_seconds):
            try:
                self.limiter.flush()
                swept += self.sync_seconds
                if swept >= SWEEP_SECONDS:
                    swept = 0.0
                    self.limiter.sweep_database()
            except Exception:
                log.exception("rate limits: the background sync failed; trying again")


def limits_of(request: Request) -> RateLimits:
    """The application's rate limits."""
    found: RateLimits = request.app.state.rate_limits
    return found


async def public_page(request: Request) -> None:
    """A dependency for pages anyone may open: counted per client address."""
    await limits_of(request).count_client(request)
