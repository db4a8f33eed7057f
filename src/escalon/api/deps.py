"""What every endpoint gets: the database, the clock, and the authenticated caller with a role."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.orm import Session

from escalon.admin_audit import service as admin_audit
from escalon.api.limits import limits_of
from escalon.auth import service as auth
from escalon.cases import visibility
from escalon.cases.acting import Actor
from escalon.clock import Clock
from escalon.config import Settings
from escalon.core.signals import TextAnalyzer
from escalon.database import Database
from escalon.errors import EscalonError, Forbidden, Unauthenticated

ALL_ROLES = ("admin", "supervisor", "agent", "integration")
STAFF = ("admin", "supervisor", "agent")
SUPERVISORS = ("admin", "supervisor")
ADMINS = ("admin",)
CASE_WRITERS = ALL_ROLES

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer esc_...`")


@dataclass(frozen=True, slots=True)
class Services:
    """The process-wide parts the application was built with."""

    database: Database
    clock: Clock
    settings: Settings
    analyzer: TextAnalyzer


@dataclass(frozen=True, slots=True)
class Context:
    """One request's caller and the parts it may use."""

    services: Services
    principal: auth.Principal

    @property
    def db(self) -> Database:
        """The database."""
        return self.services.database

    @property
    def actor(self) -> Actor:
        """The caller as the use cases and the audit trail see them."""
        principal = self.principal
        return Actor(
            principal.user_id,
            principal.name,
            principal.role,
            principal.agent,
            visibility=self.services.settings.case_visibility,
        )

    def scope(self, session: Session) -> visibility.Scope:
        """The cases the caller may see (`ESCALON_CASE_VISIBILITY`)."""
        principal = self.principal
        return visibility.scope(
            session,
            role=principal.role,
            agent=principal.agent,
            mode=self.services.settings.case_visibility,
        )

    def now(self) -> int:
        """The current instant (µs)."""
        return self.services.clock.now_us()

    def audit(
        self, session: Session, action: str, target: str, data: dict[str, Any] | None = None
    ) -> None:
        """Record an administrative change by the caller in the admin audit trail."""
        admin_audit.record(
            session,
            actor=self.principal.username,
            user_id=self.principal.user_id,
            via="api",
            action=action,
            target=target,
            at=self.now(),
            data=data,
        )


def services(request: Request) -> Services:
    """The parts stored on the application at start-up."""
    found: Services = request.app.state.services
    return found


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Context:
    """The caller, from the bearer token; 401 without a valid one.

    Asynchronous so that a recently verified token costs no trip to a worker thread; the
    database is only asked (in a thread) when the token is not in the cache. A client that
    failed too often gets 429 before its token is checked; a token over its own limit too.
    """
    parts = services(request)
    limits = limits_of(request)
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        await limits.refuse_guessing(request)
        await limits.count_failure(request)
        raise Unauthenticated("send an API token: Authorization: Bearer <token>")
    now = parts.clock.now_us()
    token = credentials.credentials
    principal = auth.cached_principal(
        token, now=now, cache_seconds=parts.settings.token_cache_seconds
    )
    if principal is None:
        await limits.refuse_guessing(request)
        try:
            principal = await run_in_threadpool(_verify, parts, token, now)
        except Unauthenticated:
            await limits.count_failure(request)
            raise
    await limits.count_token(principal)
    if auth.needs_last_used(principal, now=now):
        await run_in_threadpool(_mark_used, parts, principal, now)
    return Context(parts, principal)


def _verify(parts: Services, token: str, now: int) -> auth.Principal:
    with parts.database.read() as session:
        return auth.authenticate(
            session, token, now=now, cache_seconds=parts.settings.token_cache_seconds
        )


def _mark_used(parts: Services, principal: auth.Principal, now: int) -> None:
    with parts.database.write() as session:
        auth.mark_used(session, principal, now=now)


def require(*roles: str) -> Callable[..., Awaitable[Context]]:
    """A dependency that lets only the given roles through (403 for the others)."""

    async def check(context: Annotated[Context, Depends(authenticated)]) -> Context:
        if context.principal.role not in roles:
            raise Forbidden(
                f"role {context.principal.role!r} may not do this (allowed: {', '.join(roles)})"
            )
        return context

    return check


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The case version this change is based on: the ETag, e.g. "3"',
            max_length=200,
        ),
    ] = None,
) -> int | None:
    """The case version the client based its change on (None: any)."""
    if value is None or value.strip() == "*":
        return None
    token = value.strip().split(",")[0].strip()
    token = token.removeprefix("W/").strip('"')
    if not token.isdigit() or len(token) > 12:
        raise EscalonError(f'If-Match must be the case\'s ETag, e.g. "3"; got {value!r}')
    return int(token)


Reader = Annotated[Context, Depends(require(*ALL_ROLES))]
Staff = Annotated[Context, Depends(require(*STAFF))]
Supervisor = Annotated[Context, Depends(require(*SUPERVISORS))]
Admin = Annotated[Context, Depends(require(*ADMINS))]
IfMatch = Annotated[int | None, Depends(if_match)]


def _iso_8601(value: object) -> object:
    # Pydantic would read "1700000000" or "0.5" as seconds since 1970; the API documents ISO 8601.
    if isinstance(value, datetime) or (
        isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value)
    ):
        return value
    raise ValueError("expected an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z")


# The instants the API reads: wider than any history or plan, and far enough inside the years
# Python represents (1 to 9999) that a shift, a window or a time zone added to one still fits.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _supported(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("needs a UTC offset (e.g. 2026-12-01T09:00:00+01:00 or ...Z)")
    if not EARLIEST <= value < LATEST:
        raise ValueError("must lie between 1900-01-01 and 2999-12-31 (UTC)")
    return value


DateTime = Annotated[datetime, BeforeValidator(_iso_8601), AfterValidator(_supported)]
"""A date-time query parameter: ISO 8601 with a UTC offset, between the years 1900 and 2999."""
