"""What the intake endpoints read and answer: the web form, chat, phone calls and social posts.

Request bodies refuse unknown fields (a typo is an error, not silence), like the rest of the API.
Lengths are those of the columns the values end up in, so no input is too long for the database.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    model_validator,
)

from escalon.cases.schemas import CustomerIn, Strict
from escalon.core.fields import Email, Name, Trimmed


def _no_nul(value: str) -> str:
    # PostgreSQL's text cannot hold it; refused on every database alike.
    if "\x00" in value:
        raise ValueError("text may not contain the NUL character (\\u0000)")
    return value


NoNul = AfterValidator(_no_nul)
Label = Annotated[Name, NoNul]


# An id another system gave (a conversation, a message, a post): printable ASCII, no spaces, so
# two of them can be joined with a space into one unambiguous thread reference.
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[!-~]+$")]
Network = Annotated[
    str,
    StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9_.-]*$"),
]
MessageText = Annotated[str, StringConstraints(min_length=1, max_length=100_000), NoNul, Trimmed]
Subject = Annotated[str, StringConstraints(max_length=500), NoNul]
PersonName = Annotated[str, StringConstraints(max_length=200), NoNul]
Notes = Annotated[str, StringConstraints(max_length=100_000), NoNul]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[!-~]+$")]


def _iso_8601(value: object) -> object:
    # Pydantic would read 1700000000 or "1700000000" as seconds since 1970; the schema says ISO 8601.
    if isinstance(value, datetime) or (
        isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value)
    ):
        return value
    raise ValueError("expected an ISO 8601 date-time with a UTC offset, e.g. 2026-12-01T09:00:00Z")


def _aware(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("needs a UTC offset (e.g. 2026-12-01T09:00:00+01:00 or ...Z)")
    return value


Moment = Annotated[datetime, BeforeValidator(_iso_8601), AfterValidator(_aware)]


# -- web form ----------------------------------------------------------------------------------


class ContactForm(Strict):
    """The public contact form. `website` is a honeypot: people leave it empty (it is hidden)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200), NoNul, Trimmed]
    email: Annotated[Email, StringConstraints(max_length=200), NoNul] = Field(
        description="where the answer goes; it names the customer"
    )
    subject: Subject = Field("", description="a line from the first words of the message if empty")
    message: Annotated[str, StringConstraints(min_length=1, max_length=20_000), NoNul, Trimmed]
    category: Label | None = Field(None, description="what the form's topic list offers")
    website: Annotated[str, StringConstraints(max_length=500), NoNul] | None = Field(
        None, description="leave empty: a hidden field only robots fill in"
    )


class ContactAccepted(BaseModel):
    """The form was received."""

    case_id: int | None = Field(description="the case opened (null when nothing was stored)")
    message: str


# -- chat --------------------------------------------------------------------------------------


class ChatMessageIn(Strict):
    """One message of a chat conversation, as the chat widget's backend relays it."""

    conversation: ExternalId = Field(description="the chat's id of the conversation")
    message_id: ExternalId | None = Field(
        None,
        description="the chat's id of this message: send it so a redelivery is stored once",
    )
    customer: CustomerIn
    author: Literal["customer", "bot", "agent"]
    text: MessageText
    agent: Label | None = Field(None, description="the agent's handle, for author `agent` only")
    handover: bool = Field(
        False, strict=True, description="the customer or the bot asks for a person to take over"
    )

    @model_validator(mode="after")
    def _agent_names_the_author(self) -> ChatMessageIn:
        if self.author == "agent" and self.agent is None:
            raise ValueError("a message by author 'agent' names the agent's handle in `agent`")
        if self.author != "agent" and self.agent is not None:
            raise ValueError("`agent` is for messages by author 'agent' only")
        if self.author == "agent" and self.handover:
            raise ValueError("an agent's message is already a person's: no hand-over to ask")
        return self


class ChatOut(BaseModel):
    """What became of a chat message."""

    case_id: int | None = Field(description="the conversation's case (null before it has one)")
    message_id: int | None = Field(description="the stored message (null when not stored)")
    opened: bool = Field(description="this message opened the case")
    duplicate: bool = Field(description="delivered before: nothing was stored again")
    handover: bool = Field(description="a person takes over the conversation from the bot")
    message: str


# -- phone -------------------------------------------------------------------------------------

Direction = Literal["inbound", "outbound"]
Outcome = Literal["answered", "resolved", "callback", "escalated", "voicemail", "no_answer"]
Seconds = Annotated[int, Field(ge=0, le=86_400, strict=True)]


class CallIn(Strict):
    """A phone call an agent had (or tried to have) with the customer of a case."""

    direction: Direction
    duration_seconds: Seconds
    outcome: Outcome = Field(
        description="no_answer is stored as an internal note: it does not answer the customer"
    )
    notes: Notes = ""


class InboundCallIn(Strict):
    """A case opened from an inbound call: who called, about what, what was said.

    With `outcome` (and `duration_seconds`) the call itself is logged too, as the agent's
    first answer.
    """

    customer_id: int | None = Field(None, ge=1, le=2**62, strict=True)
    customer: CustomerIn | None = None
    subject: Annotated[str, StringConstraints(min_length=1, max_length=500), NoNul, Trimmed]
    notes: MessageText = Field(description="the customer's problem, as told on the phone")
    category: Label | None = None
    priority: Label | None = None
    duration_seconds: Seconds | None = None
    outcome: Outcome | None = None

    @model_validator(mode="after")
    def _consistent(self) -> InboundCallIn:
        if (self.customer_id is None) == (self.customer is None):
            raise ValueError("give exactly one of customer_id and customer")
        if (self.outcome is None) != (self.duration_seconds is None):
            raise ValueError("give both outcome and duration_seconds to log the call, or neither")
        return self


# -- social ------------------------------------------------------------------------------------


class SocialAuthor(Strict):
    """Who wrote a post: their handle on the network."""

    handle: Annotated[str, StringConstraints(min_length=1, max_length=100), NoNul, Trimmed]
    name: PersonName | None = None


class SocialPostIn(Strict):
    """A post, mention or direct message from a social network."""

    network: Network = Field(description="twitter, facebook, instagram, mastodon...")
    post_id: ExternalId
    thread_id: ExternalId | None = Field(
        None, description="the conversation the post belongs to (its first post's id)"
    )
    author: SocialAuthor
    text: MessageText
    public: bool = Field(strict=True, description="a public post or mention; false: a DM")
    url: Url | None = None
    posted_at: Moment | None = Field(None, description="ISO 8601 with a UTC offset")


class SocialOut(BaseModel):
    """What became of a social post."""

    case_id: int
    message_id: int | None = Field(description="the post's message")
    opened: bool = Field(description="this post opened the case")
    duplicate: bool = Field(description="delivered before: nothing was stored again")


# -- the review list of inbound mail, and case participants -------------------------------------

InboundStatus = Literal[
    "waiting", "held", "received", "dismissed", "duplicate", "opened", "threaded", "review", "all"
]


class InboundEmailOut(BaseModel):
    """A stored inbound e-mail, as the review list shows it."""

    id: int
    received_at: datetime
    source: str = Field(description="smtp, imap or api")
    status: str = Field(
        description="held (in the review list: see reason), received (being taken, or "
        "interrupted), opened, threaded, review (an unreadable mail's case), duplicate, dismissed"
    )
    sender: str | None = Field(description="the From address, normalised")
    subject: str | None
    message_id: str | None
    size: int
    reason: str | None = Field(description="why it is held, or what happened to it")
    hold_reason: str | None = Field(description="no_policy, failed, sender_limit or staff_reply")
    case_id: int | None
    duplicate_of: int | None = Field(description="the delivery of the same mail that took it")
    handled_by: str | None = Field(description="who last retried or dismissed it")
    handled_at: datetime | None
    can_retry: bool
    can_dismiss: bool


class InboundEmailDetail(InboundEmailOut):
    """A stored inbound e-mail with its header fields (the raw mail is a separate download)."""

    headers: list[tuple[str, str]]


class RetryOut(BaseModel):
    """What a retry did with a held mail."""

    outcome: str = Field(description="opened, threaded, review, duplicate or held (again)")
    note: str
    email: InboundEmailOut


class DismissIn(Strict):
    """Why a held mail needs no case (optional)."""

    note: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None


class ParticipantIn(Strict):
    """An address whose mail may join the case, besides the customer's."""

    address: Email


class ParticipantOut(BaseModel):
    """Someone whose mail may join the case."""

    address: str
    source: str = Field(description="staff (added by a person) or cc (copied in by the customer)")
    added_by: str
    added_at: datetime
