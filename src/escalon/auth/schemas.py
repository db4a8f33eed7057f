"""What the API reads and writes about users and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalon.core.fields import Email

Role = Literal["admin", "supervisor", "agent", "integration"]
Username = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S+$")]


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    role: Role
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    email: Email | None = None
    agent: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="the handle of the agent this user acts as"
    )


class UserOut(BaseModel):
    """A user."""

    id: int
    username: str
    role: str
    display_name: str
    email: str | None
    agent: str | None
    active: bool


class TokenIn(BaseModel):
    """A new token for a user."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(max_length=200)] = ""
    expires_in_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        strict=True,
        description="days until it expires; ESCALON_TOKEN_LIFETIME_DAYS (90) when not given",
    )
    never_expires: bool = Field(
        False,
        strict=True,
        description="a token without expiry (admins only, and only with a "
        "token that does not expire either)",
    )


class UserPatch(BaseModel):
    """A change to a user: a new role, or disabled/enabled. Either ends their tokens and
    sessions (a disabled user's, or one with a new role)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = Field(None, strict=True, description="false disables, true enables")


class SessionOut(BaseModel):
    """A dashboard session (never its secret)."""

    id: int
    user: str
    token_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    ended_reason: str | None


class TokenOut(BaseModel):
    """A token, without its secret."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    """A new token: `token` is shown this once and never again."""

    token: str


class Me(BaseModel):
    """The caller."""

    username: str
    role: str
    agent: str | None
