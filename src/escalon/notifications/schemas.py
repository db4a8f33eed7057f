"""What the API reads and writes about the outbox and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

OutboxStatus = Literal["pending", "delivered", "dead", "cancelled", "captured"]


class OutboxOut(BaseModel):
    """One outbox message and how its delivery went."""

    id: int
    key: str
    case_id: int | None
    kind: str
    channel: str
    recipient: str
    address: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_response: str | None = Field(
        None,
        description="What a webhook's receiver answered when it refused (its first 200 "
        "characters); shown to admins only, null for everyone else",
    )
    transport: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class WebhookIn(BaseModel):
    """A named endpoint for `notify: [webhook:NAME]`; a secret is generated when not given."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[\w.-]+$")]
    url: AnyHttpUrl = Field(
        description="http(s) URL of the receiver; its host must be (or resolve to) public "
        "addresses only, unless ESCALON_WEBHOOK_ALLOW_PRIVATE is set (422 otherwise)",
    )
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)] | None = None
    format: Literal["escalon", "slack", "teams"] = Field(
        "escalon",
        description="escalon: the signed JSON payload; slack: a Slack incoming webhook (Block "
        "Kit blocks with a plain `text` fallback); teams: a Microsoft Teams Workflows webhook "
        "(a message carrying an Adaptive Card)",
    )


class WebhookSecretIn(BaseModel):
    """A new signing secret for a webhook; one is generated when not given."""

    model_config = ConfigDict(extra="forbid")

    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)] | None = None


class WebhookOut(BaseModel):
    """A webhook endpoint (its secret is only shown when created)."""

    id: int
    name: str
    url: str
    active: bool
    created_at: datetime
    format: str = "escalon"


class WebhookCreated(WebhookOut):
    """A new webhook with the secret its deliveries are signed with."""

    secret: str


class StaffNotificationOut(BaseModel):
    """A notification in a person's in-app list."""

    id: int
    case_id: int | None
    kind: str
    subject: str
    body: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None


class StaffNotificationPage(BaseModel):
    """A page of a person's notifications, newest first, and how many are unread."""

    items: list[StaffNotificationOut]
    unread: int
