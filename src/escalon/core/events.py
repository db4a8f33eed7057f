"""Case events: what happens to a case, as the replay reads it and the service records it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

STATUS_VALUES = (
    "open",
    "pending_customer",
    "pending_third_party",
    "on_hold",
    "resolved",
    "closed",
)


Identifier = Annotated[str, Field(min_length=1)]


class _Event(BaseModel):
    # Identifiers may come as numbers from other systems; they are names here.
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    at: AwareDatetime
    case: Identifier


class CaseOpened(_Event):
    """A new case: its customer and how it came in."""

    type: Literal["case.opened"] = "case.opened"
    customer: Identifier
    tier: str | None = None
    channel: str | None = None
    category: str | None = None
    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    team: str | None = None
    subject: str = ""
    body: str = ""
    # The customer's organisation, by name (the replay's organisations file resolves it).
    organisation: str | None = None
    # The customer organisation's calendar (timezone, hours, holidays), for SLAs that follow it.
    calendar: dict[str, Any] | None = None


class CustomerMessage(_Event):
    """The customer wrote."""

    type: Literal["customer.message"] = "customer.message"
    body: str = ""
    channel: str | None = None


class AgentMessage(_Event):
    """An agent wrote, to the customer (public) or as an internal note."""

    type: Literal["agent.message"] = "agent.message"
    agent: Identifier
    public: bool = True
    body: str = ""


class StatusChanged(_Event):
    """The case's status changed."""

    type: Literal["status.changed"] = "status.changed"
    status: Literal[
        "open", "pending_customer", "pending_third_party", "on_hold", "resolved", "closed"
    ]


class CaseUpdated(_Event):
    """Triage fields changed."""

    type: Literal["case.updated"] = "case.updated"
    priority: str | None = None
    tier: str | None = None
    category: str | None = None
    channel: str | None = None


class EscalationAcknowledged(_Event):
    """Someone took ownership of the latest escalation."""

    type: Literal["escalation.acknowledged"] = "escalation.acknowledged"
    agent: Identifier


class CaseEscalated(_Event):
    """A person moved the case to a level (lower than the current one: a de-escalation)."""

    type: Literal["case.escalated"] = "case.escalated"
    agent: Identifier
    to: str
    reason: str = ""


class CaseRouted(_Event):
    """A person moved the case to another team at the same level."""

    type: Literal["case.routed"] = "case.routed"
    agent: Identifier
    team: str
    reason: str = ""


class ApprovalRequested(_Event):
    """An agent asks to grant something (a refund of an amount)."""

    type: Literal["approval.requested"] = "approval.requested"
    agent: Identifier
    kind: str = Field(min_length=1)
    amount: float = Field(ge=0)
    # The requester's own limit for this kind, where it differs from their level's.
    authority: float | None = Field(None, ge=0)


class SurveyAnswered(_Event):
    """The customer answered the satisfaction survey."""

    type: Literal["survey.answered"] = "survey.answered"
    score: int = Field(ge=1, le=5)
    comment: str = ""


Event = Annotated[
    CaseOpened
    | CustomerMessage
    | AgentMessage
    | StatusChanged
    | CaseUpdated
    | EscalationAcknowledged
    | CaseEscalated
    | CaseRouted
    | ApprovalRequested
    | SurveyAnswered,
    Field(discriminator="type"),
]
EVENT_TYPES = (
    "case.opened",
    "customer.message",
    "agent.message",
    "status.changed",
    "case.updated",
    "escalation.acknowledged",
    "case.escalated",
    "case.routed",
    "approval.requested",
    "survey.answered",
)

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# The compiled validator itself: the replay reads every line through it.
_VALIDATE_JSON = _ADAPTER.validator.validate_json


class EventError(ValueError):
    """An event that cannot be read: the reason is meant for the person who wrote it."""


def parse_event_json(line: str | bytes) -> Event:
    """Read one JSON event; raise EventError saying what is wrong."""
    try:
        event: Event = _VALIDATE_JSON(line)
        return event
    except ValidationError as error:
        raise EventError(_reason(error)) from None


def parse_event(data: Any) -> Event:
    """Validate one event given as plain data; raise EventError saying what is wrong."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as error:
        raise EventError(_reason(error)) from None


def _reason(error: ValidationError) -> str:
    reasons = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        loc = [part for part in item["loc"] if part not in EVENT_TYPES]
        where = ".".join(str(part) for part in loc)
        if kind == "json_invalid":
            reasons.append(f"not valid JSON ({item['ctx'].get('error', 'malformed')})")
        elif kind in {"model_type", "model_attributes_type"}:
            reasons.append("an event must be a JSON object")
        elif kind == "union_tag_not_found":
            reasons.append("missing 'type'")
        elif kind == "union_tag_invalid":
            reasons.append(f"unknown event type {item['input'].get('type')!r}")
        elif kind == "missing":
            reasons.append(f"missing '{where}'")
        elif kind == "timezone_aware":
            reasons.append(f"'{where}' needs a UTC offset (e.g. +01:00 or Z)")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            reasons.append(f"'{where}': {message}" if where else message)
    return "; ".join(reasons)
