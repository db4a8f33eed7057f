"""HTTP endpoints for users and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.api.deps import Admin, Reader
from escalon.api.errors import error_responses
from escalon.auth import service
from escalon.auth.models import ApiToken, User
from escalon.auth.schemas import Me, TokenCreated, TokenIn, TokenOut, UserIn, UserOut
from escalon.cases.schemas import instant
from escalon.core.state import from_us
from escalon.errors import Forbidden
from escalon.people.models import Agent

router = APIRouter(prefix="/api/v1", tags=["access"])
Username = Annotated[str, Path(min_length=1, max_length=100)]
US_PER_DAY = 86_400_000_000


def _user_out(session: Session, user: User) -> UserOut:
    agent = None if user.agent_id is None else session.get(Agent, user.agent_id)
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        email=user.email,
        agent=None if agent is None else agent.handle,
        active=user.active,
    )


def _token_out(token: ApiToken, username: str) -> TokenOut:
    return TokenOut(
        id=token.id,
        user=username,
        name=token.name,
        prefix=token.prefix,
        created_at=from_us(token.created_at),
        expires_at=instant(token.expires_at),
        last_used_at=instant(token.last_used_at),
        revoked_at=instant(token.revoked_at),
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


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 401, 403, 409, 422),
)
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


@router.post(
    "/users/{username}/tokens",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 401, 403, 404, 422),
)
def create_token(username: Username, body: TokenIn, context: Reader) -> TokenCreated:
    """A new token for a user (admins, or users for themselves); the secret is shown once."""
    if context.principal.role != "admin" and context.principal.username != username:
        raise Forbidden("only admins create tokens for other users")
    now = context.now()
    with context.db.write() as session:
        user = service.user_by_name(session, username)
        expires = None if body.expires_in_days is None else now + body.expires_in_days * US_PER_DAY
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
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**62)], context: Reader) -> TokenOut:
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
