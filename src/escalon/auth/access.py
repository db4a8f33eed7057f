"""Who is calling and what they may do: the authenticated caller of an endpoint, with a role.

The FastAPI dependencies every area's views use (`Reader`, `Staff`, `Supervisor`, `Admin`), so
those views import authentication from this domain rather than from the API package above them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from escalon.admin_audit import service as admin_audit
from escalon.auth import service as auth
from escalon.cases import visibility
from escalon.cases.acting import Actor
from escalon.database import Database
from escalon.errors import Forbidden, Unauthenticated
from escalon.ratelimits.edge import limits_of
from escalon.services import Services

ALL_ROLES = ("admin", "supervisor", "agent", "integration")
STAFF = ("admin", "supervisor", "agent")
SUPERVISORS = ("admin", "supervisor")
ADMINS = ("admin",)
CASE_WRITERS = ALL_ROLES
# Where the practice mount (`escalon.web.practice`) puts a sandbox's parts in a request's scope:
# only that middleware sets it, so no client can choose the database a request works on.
SANDBOX_SCOPE = "escalon.sandbox"

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer esc_...`")


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
        admin_audit.record_by(
            session,
            self.principal,
            via="api",
            action=action,
            target=target,
            at=self.now(),
            data=data,
        )


def services(request: Request) -> Services:
    """The parts stored on the application at start-up (a practice sandbox's, under the
    practice mount)."""
    found: Services = request.scope.get(SANDBOX_SCOPE) or request.app.state.services
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


Reader = Annotated[Context, Depends(require(*ALL_ROLES))]
Staff = Annotated[Context, Depends(require(*STAFF))]
Supervisor = Annotated[Context, Depends(require(*SUPERVISORS))]
Admin = Annotated[Context, Depends(require(*ADMINS))]
