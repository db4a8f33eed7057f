"""HTTP endpoints for users and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth import service, sessions
from escalon.auth.access import Admin, Context, Reader
from escalon.auth.models import ApiToken, DashboardSession, User
from escalon.auth.schemas import (
    Me,
    SessionOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from escalon.errors import CREATES, Forbidden, NotFound, error_responses
from escalon.outputs import from_row
from escalon.people.models import Agent
from escalon.request_params import PathId

router = APIRouter(prefix="/api/v1", tags=["access"])
Username = Annotated[str, Path(min_length=1, max_length=100)]


def _user_out(session: Session, user: User) -> UserOut:
    agent = None if user.agent_id is None else session.get(Agent, user.agent_id)
    return from_row(UserOut, user, agent=None if agent is None else agent.handle)


def _token_out(token: ApiToken, username: str) -> TokenOut:
    return from_row(
        TokenOut,
        token,
        instants=("created_at", "expires_at", "last_used_at", "revoked_at"),
        user=username,
    )


@router.get("/me", responses=error_responses(401))
def me(context: Reader) -> Me:
    """Who the token belongs to."""
    principal = context.principal
    return Me(username=principal.username, role=principal.role, agent=principal.agent)


@router.get("/users", responses=error_responses(401, 403))
def list_users(context: Admin) -> list[UserOut]:
    """Every user (admins)."""
    with context.db.read() as session:
        users = session.scalars(select(User).order_by(User.username))
        return [_user_out(session, user) for user in users]


@router.post("/users", **CREATES)
def create_user(body: UserIn, context: Admin) -> UserOut:
    """Add a user (admins)."""
    with context.db.write() as session:
        user = service.create_user(
            session,
            username=body.username,
            role=body.role,
            now=context.now(),
            display_name=body.display_name,
            email=body.email,
            agent=body.agent,
        )
        context.audit(
            session,
            "user.created",
            f"user:{user.username}",
            {"role": user.role, "agent": body.agent},
        )
        return _user_out(session, user)


@router.patch("/users/{username}", responses=error_responses(400, 401, 403, 404, 409, 422))
def update_user(username: Username, body: UserPatch, context: Admin) -> UserOut:
    """Change a user's role, or disable or enable them (admins). A new role or disabling ends
    every token and dashboard session the user holds; they need a new token afterwards."""
    now = context.now()
    with context.db.write() as session:
        change = service.update_user(
            session, username=username, now=now, role=body.role, active=body.active
        )
        _audit_change(context, session, change)
        return _user_out(session, change.user)


def _audit_change(context: Context, session: Session, change: service.UserChange) -> None:
    """The admin audit entries of a user change: the change, and each token it revoked."""
    target = f"user:{change.user.username}"
    ended = {"tokens_revoked": change.revoked_tokens, "sessions_ended": change.ended_sessions}
    if change.role_from is not None:
        context.audit(
            session,
            "user.updated",
            target,
            {"role": {"from": change.role_from, "to": change.user.role}, **ended},
        )
    if change.disabled:
        context.audit(session, "user.disabled", target, ended)
    if change.enabled:
        context.audit(session, "user.enabled", target)
    reason = "user disabled" if change.disabled else "role changed"
    for token_id in change.revoked_tokens:
        context.audit(
            session,
            "token.revoked",
            f"token:{token_id}",
            {"user": change.user.username, "reason": reason},
        )


@router.post(
    "/users/{username}/tokens",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 401, 403, 404, 422),
)
def create_token(username: Username, body: TokenIn, context: Reader) -> TokenCreated:
    """A new token for a user (admins, or users for themselves); the secret is shown once.

    It expires after `expires_in_days`, else the installation's default lifetime, and never
    outlives the token that asks for it; `never_expires` is for admins only.
    """
    if context.principal.role != "admin" and context.principal.username != username:
        raise Forbidden("only admins create tokens for other users")
    if body.never_expires and context.principal.role != "admin":
        raise Forbidden("only admins create tokens that never expire")
    now = context.now()
    expires = service.token_expiry(
        now=now,
        lifetime_days=body.expires_in_days,
        never_expires=body.never_expires,
        default_days=context.services.settings.token_lifetime_days,
        minted_by=context.principal,
    )
    with context.db.write() as session:
        user = service.user_by_name(session, username)
        record, token = service.create_token(
            session, user=user, now=now, name=body.name, expires_at=expires
        )
        context.audit(
            session,
            "token.created",
            f"token:{record.id}",
            {"user": user.username, "name": record.name, "expires_at": record.expires_at},
        )
        return TokenCreated(**_token_out(record, user.username).model_dump(), token=token)


@router.get("/tokens", responses=error_responses(401, 403))
def list_tokens(context: Reader) -> list[TokenOut]:
    """Your tokens (admins: everyone's), without their secrets."""
    with context.db.read() as session:
        query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
        if context.principal.role != "admin":
            query = query.where(ApiToken.user_id == context.principal.user_id)
        rows = session.execute(query.order_by(ApiToken.id)).all()
        return [_token_out(token, username) for token, username in rows]


@router.delete("/tokens/{token_id}", responses=error_responses(401, 403, 404, 422))
def revoke_token(token_id: PathId, context: Reader) -> TokenOut:
    """Revoke a token (admins, or the token's owner)."""
    with context.db.write() as session:
        found = session.get(ApiToken, token_id)
        mine = found is None or found.user_id == context.principal.user_id
        if context.principal.role != "admin" and not mine:
            raise Forbidden("only admins revoke other users' tokens")
        was_revoked = found is not None and found.revoked_at is not None
        record = service.revoke_token(session, token_id=token_id, now=context.now())
        user = session.get(User, record.user_id)
        if not was_revoked:
            context.audit(
                session,
                "token.revoked",
                f"token:{record.id}",
                {"user": user.username if user else None},
            )
        return _token_out(record, user.username if user else "")


# -- dashboard sessions --------------------------------------------------------------------------


def _session_out(row: DashboardSession, username: str) -> SessionOut:
    return from_row(
        SessionOut,
        row,
        instants=("created_at", "last_seen_at", "expires_at", "ended_at"),
        user=username,
    )


@router.get("/sessions", responses=error_responses(401, 403, 404, 422))
def list_sessions(
    context: Reader,
    user: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    ended: Annotated[bool, Query(description="include ended and expired sessions")] = False,
) -> list[SessionOut]:
    """Live dashboard sessions: your own (admins: everyone's, or one user's with `user`)."""
    idle = round(context.services.settings.session_idle_minutes * 60 * 1_000_000)
    with context.db.read() as session:
        user_id: int | None = context.principal.user_id
        if context.principal.role == "admin":
            user_id = None if user is None else service.user_by_name(session, user).id
        elif user is not None and user != context.principal.username:
            raise Forbidden("only admins list other users' sessions")
        rows = sessions.listed(
            session, now=context.now(), idle_us=idle, user_id=user_id, include_ended=ended
        )
        return [_session_out(row, username) for row, username in rows]


@router.delete("/sessions/{session_id}", responses=error_responses(401, 403, 404, 422))
def end_session(session_id: PathId, context: Reader) -> SessionOut:
    """End a dashboard session (admins, or the session's owner): its cookie opens nothing more."""
    with context.db.write() as session:
        found = session.get(DashboardSession, session_id)
        if found is None or (
            context.principal.role != "admin" and found.user_id != context.principal.user_id
        ):
            # Someone else's session is not even confirmed to exist.
            raise NotFound(f"session {session_id} does not exist")
        was_open = found.ended_at is None
        row = sessions.end(
            session,
            session_id=session_id,
            now=context.now(),
            reason="ended_by_admin" if found.user_id != context.principal.user_id else "signed_out",
        )
        owner = session.get(User, row.user_id)
        username = owner.username if owner else ""
        if was_open:
            context.audit(session, "session.ended", f"session:{row.id}", {"user": username})
        return _session_out(row, username)
