"""Intake from the web form, chat, phone and social networks.

Each function turns what a channel delivers into the case flows (open a case, add a message) in
the caller's transaction, and remembers in `thread_refs` which conversation, thread or post
leads to which case, so that a later message finds its case and a redelivery is stored once:

| channel        | ref                          | means                                       |
|----------------|------------------------------|---------------------------------------------|
| `chat`         | conversation id              | the conversation's case                     |
| `chat-message` | conversation id + message id | this chat message is stored (de-duplication) |
| `social`       | `network:post id`            | a thread (or a post of it) leads to the case |
| `social-post`  | `network:post id`            | this post is stored (de-duplication)        |

A conversation or thread whose case is closed (final) opens a new case and points there from
then on. The functions commit nothing; when a concurrent delivery registered the same reference
first they raise `DeliveryRace`, and the caller retries in a new transaction (which then finds
what the other one stored).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from escalon.cases import messages, opening, service
from escalon.cases.acting import Actor
from escalon.cases.models import Case, Customer, Message
from escalon.cases.schemas import CaseCreate, CustomerIn, MessageIn
from escalon.channels.models import ThreadRef
from escalon.channels.schemas import (
    CallIn,
    ChatMessageIn,
    ContactForm,
    InboundCallIn,
    SocialPostIn,
)
from escalon.core.signals import MANAGER_REQUEST, TextAnalyzer
from escalon.errors import Invalid
from escalon.people.directory import Directory
from escalon.people.models import Agent

log = logging.getLogger("escalon.channels")

CHAT = "chat"
CHAT_MESSAGE = "chat-message"
SOCIAL = "social"
SOCIAL_POST = "social-post"
SOCIAL_PRIVATE = "social_private"  # the case channel of a direct message
HANDOVER = "handover"
BOT = "chat-bot"  # who the audit trail names for a chat bot's messages
WEB_FORM = Actor(user_id=None, name="web-form", role="integration")
SUBJECT_WORDS = 80  # characters of a message that make a subject when there is none

M = TypeVar("M", bound=BaseModel)


class DeliveryRace(Exception):
    """A concurrent delivery registered the same conversation, thread or post first: retry."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """What became of a chat message or a social post."""

    case_id: int | None
    message_id: int | None
    opened: bool = False
    duplicate: bool = False
    handover: bool = False


# -- the web form ------------------------------------------------------------------------------


def receive_contact_form(
    session: Session, *, form: ContactForm, now: int, analyzer: TextAnalyzer | None
) -> int:
    """Open a case (channel `web`) from the contact form; returns its id.

    The customer is the one whose ref or e-mail address is the form's address, else a new one
    with that address as ref. A known customer's record is not changed: the form is not
    authenticated, and anyone may type anyone's address.
    """
    ref = form.email.lower()
    known = session.scalar(select(Customer.id).where(Customer.ref == ref))
    if known is None:
        known = session.scalar(
            select(Customer.id)
            .where(func.lower(Customer.email) == ref)
            .order_by(Customer.id)
            .limit(1)
        )
    customer = (
        {"customer_id": known}
        if known is not None
        else {"customer": CustomerIn(ref=ref, name=form.name, email=form.email)}
    )
    request = _model(
        CaseCreate,
        **customer,
        subject=form.subject.strip() or _subject("Contact form", form.message),
        body=form.message,
        channel="web",
        category=form.category,
    )
    details = {"form": "contact", "name": form.name, "email": form.email}
    opened = opening.open_case(
        session,
        request=request,
        actor=WEB_FORM,
        now=now,
        analyzer=analyzer,
        message_details=details,
    )
    return opened.case_id


# -- chat --------------------------------------------------------------------------------------


def asks_for_person(request: ChatMessageIn, analyzer: TextAnalyzer | None) -> bool:
    """Whether the message hands the conversation over to a person: the request says so, or
    the customer asks for a human, a manager or a supervisor (Escalon's detector)."""
    if request.handover:
        return True
    if request.author != "customer" or analyzer is None:
        return False
    return MANAGER_REQUEST in analyzer.analyze(request.text).intents


def receive_chat(
    session: Session,
    *,
    request: ChatMessageIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    handover: bool,
) -> Delivered:
    """Store a chat message on its conversation's case; the first customer message of an
    unknown conversation opens one.

    Customer messages are the customer's; an agent's are public agent messages (they answer
    the customer); a bot's are stored as agent messages that are not public, with
    `details.bot`, so that an automatic answer never meets a response SLA. A message from the
    bot or an agent before the customer wrote is not stored (there is no case yet).

    `handover` (see `asks_for_person`) tags the case `handover` (an audit entry `tag` with
    trigger `chat.handover`) and marks the message's details.
    """
    seen_key = _joined(request.conversation, request.message_id)
    if seen_key is not None:
        seen = _case_of(session, CHAT_MESSAGE, seen_key)
        if seen is not None:
            return _chat_duplicate(session, seen, request)
    details: dict[str, Any] = {"conversation": request.conversation}
    if request.message_id is not None:
        details["message_id"] = request.message_id
    if request.author == "bot":
        details.update(bot=True, shown_to_customer=True)
    if handover:
        details["handover"] = True
    thread = _thread(session, CHAT, request.conversation)
    if thread.case_id is None:
        if request.author != "customer":
            return Delivered(None, None)
        create = _model(
            CaseCreate,
            customer=request.customer,
            subject=_subject("Chat", request.text),
            body=request.text,
            channel=CHAT,
        )
        opened = opening.open_case(
            session,
            request=create,
            actor=actor,
            now=now,
            analyzer=analyzer,
            tags=(HANDOVER,) if handover else (),
            message_details=details,
        )
        case_id = opened.case_id
        message_id = _first_message(session, case_id)
        thread.point_to(session, case_id, now)
        result = Delivered(case_id, message_id, opened=True, handover=handover)
    else:
        case_id = thread.case_id
        message_id = _post_chat(session, case_id, request, actor, now, analyzer, details)
        if handover:
            tag_case(
                session,
                case_id=case_id,
                tags=(HANDOVER,),
                actor=actor,
                now=now,
                trigger="chat.handover",
            )
        result = Delivered(case_id, message_id, handover=handover)
    if seen_key is not None and not _remember(session, CHAT_MESSAGE, seen_key, case_id, now):
        raise DeliveryRace(seen_key)
    return result


def _post_chat(
    session: Session,
    case_id: int,
    request: ChatMessageIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    details: dict[str, Any],
) -> int:
    if request.author == "customer":
        message = _model(MessageIn, author="customer", body=request.text, channel=CHAT)
        writer = actor
    elif request.author == "bot":
        message = _model(MessageIn, author="agent", public=False, body=request.text, channel=CHAT)
        writer = Actor(actor.user_id, BOT, actor.role)
    else:
        assert request.agent is not None  # the schema requires it for author "agent"
        handle = _active_agent(session, request.agent)
        message = _model(MessageIn, author="agent", public=True, body=request.text, channel=CHAT)
        writer = Actor(actor.user_id, handle, actor.role, handle)
    return messages.post_message(
        session,
        case_id=case_id,
        request=message,
        actor=writer,
        now=now,
        analyzer=analyzer,
        details=details,
    )


def _chat_duplicate(session: Session, case_id: int, request: ChatMessageIn) -> Delivered:
    found = _message_with(
        session,
        case_id,
        (CHAT,),
        conversation=request.conversation,
        message_id=request.message_id,
    )
    message_id, details = found if found is not None else (None, {})
    return Delivered(
        case_id, message_id, duplicate=True, handover=bool(details.get("handover", False))
    )


def _active_agent(session: Session, handle: str) -> str:
    active = session.scalar(select(Agent.active).where(Agent.handle == handle))
    if active is None:
        raise Invalid(f"unknown agent {handle!r}: `agent` is an agent's handle")
    if not active:
        raise Invalid(f"agent {handle!r} is not active")
    return handle


def tag_case(
    session: Session,
    *,
    case_id: int,
    tags: Iterable[str],
    actor: Actor,
    now: int,
    trigger: str,
) -> bool:
    """Add tags to a case, with an audit entry `tag` naming the actor and the trigger; False
    when it already had them all (nothing is written then)."""
    case = service.lock_case(session, case_id)
    new = tuple(tag for tag in dict.fromkeys(tags) if tag not in case.state.tags)
    if not new:
        return False
    state = case.state.copy()
    state.tags = (*state.tags, *new)
    state.updated_at = max(now, state.updated_at)
    change = service.Change(case, state, actor.name)
    change.entries.append(
        {"kind": "tag", "at": state.updated_at, "data": {"tags": list(new), "trigger": trigger}}
    )
    service.write_changes(session, [change], now=now, directory=Directory(session))
    return True


# -- phone -------------------------------------------------------------------------------------


def log_call(
    session: Session,
    *,
    case_id: int,
    request: CallIn,
    actor: Actor,
    now: int,
    if_match: int | None = None,
) -> int:
    """Log a call as the agent's message (channel `phone`); returns the message id.

    A call that reached the customer (or left them a voicemail) answers them: a public agent
    message, which meets a running response clock. A call nobody answered is an internal note.
    """
    message = _model(
        MessageIn,
        author="agent",
        public=request.outcome != "no_answer",
        channel="phone",
        subject=f"{request.direction.title()} call",
        body=request.notes.strip() or _call_summary(request),
    )
    details = {
        "direction": request.direction,
        "duration_seconds": request.duration_seconds,
        "outcome": request.outcome,
    }
    return messages.post_message(
        session,
        case_id=case_id,
        request=message,
        actor=actor,
        now=now,
        analyzer=None,
        if_match=if_match,
        details=details,
    )


def open_call(
    session: Session,
    *,
    request: InboundCallIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    idempotency_key: str | None = None,
) -> opening.Opened:
    """Open a case (channel `phone`) from an inbound call: the notes are its opening message.

    With an outcome the call is logged too (`log_call`), so a call that helped the customer
    meets the first response at once. A replayed request (same Idempotency-Key) logs nothing.
    """
    opened = opening.open_case(
        session,
        request=call_case(request),
        actor=actor,
        now=now,
        analyzer=analyzer,
        idempotency_key=idempotency_key,
        message_details={"direction": "inbound", "logged_by": actor.name},
    )
    if not opened.replayed and request.outcome is not None:
        call = _model(
            CallIn,
            direction="inbound",
            duration_seconds=request.duration_seconds,
            outcome=request.outcome,
        )
        log_call(session, case_id=opened.case_id, request=call, actor=actor, now=now)
    return opened


def call_case(request: InboundCallIn) -> CaseCreate:
    """The case an inbound call opens (also what an Idempotency-Key's request is compared by)."""
    return _model(
        CaseCreate,
        customer_id=request.customer_id,
        customer=request.customer,
        subject=request.subject,
        body=request.notes,
        channel="phone",
        category=request.category,
        priority=request.priority,
    )


def _call_summary(call: CallIn) -> str:
    minutes, seconds = divmod(call.duration_seconds, 60)
    length = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    return f"{call.direction.title()} call, {length}: {call.outcome.replace('_', ' ')}"


# -- social ------------------------------------------------------------------------------------


def receive_social(
    session: Session,
    *,
    request: SocialPostIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
) -> Delivered:
    """Store a post on its thread's case, or open a case for it.

    A public post opens a case with channel `social` (what the policy's conditions name), a
    direct message one with channel `social_private`. The author is the customer
    `network:handle`; the post's network, ids, author, publicity, URL and time are its
    message's details. A post delivered again is not stored again.
    """
    network = request.network
    post_key = f"{network}:{request.post_id}"
    seen = _case_of(session, SOCIAL_POST, post_key)
    if seen is not None:
        found = _message_with(
            session, seen, (SOCIAL, SOCIAL_PRIVATE), network=network, post_id=request.post_id
        )
        return Delivered(seen, found[0] if found else None, duplicate=True)
    channel = SOCIAL if request.public else SOCIAL_PRIVATE
    handle = request.author.handle.removeprefix("@") or request.author.handle
    details: dict[str, Any] = {
        "network": network,
        "post_id": request.post_id,
        "thread_id": request.thread_id,
        "author": handle,
        "public": request.public,
        "url": request.url,
        "posted_at": request.posted_at.isoformat() if request.posted_at else None,
    }
    details = {name: value for name, value in details.items() if value is not None}
    thread = _thread(session, SOCIAL, f"{network}:{request.thread_id or request.post_id}")
    if thread.case_id is None:
        customer = _model(CustomerIn, ref=f"{network}:{handle}", name=request.author.name)
        where = "Public post" if request.public else "Direct message"
        create = _model(
            CaseCreate,
            customer=customer,
            subject=_subject(f"{where} on {network} by @{handle}", request.text),
            body=request.text,
            channel=channel,
        )
        opened = opening.open_case(
            session,
            request=create,
            actor=actor,
            now=now,
            analyzer=analyzer,
            message_details=details,
        )
        case_id = opened.case_id
        message_id = _first_message(session, case_id)
        thread.point_to(session, case_id, now)
        result = Delivered(case_id, message_id, opened=True)
    else:
        case_id = thread.case_id
        message = _model(MessageIn, author="customer", body=request.text, channel=channel)
        message_id = messages.post_message(
            session,
            case_id=case_id,
            request=message,
            actor=actor,
            now=now,
            analyzer=analyzer,
            details=details,
        )
        result = Delivered(case_id, message_id)
    # A reply to this post (not only to the thread's first) finds the case too.
    _remember(session, SOCIAL, post_key, case_id, now)
    if not _remember(session, SOCIAL_POST, post_key, case_id, now):
        raise DeliveryRace(post_key)
    return result


# -- thread references -------------------------------------------------------------------------


@dataclass(slots=True)
class _Thread:
    """A conversation or thread: the case it leads to, if that case can still take messages."""

    channel: str
    ref: str
    case_id: int | None  # None: unknown, or its case is closed
    stale_case_id: int | None  # the closed case it led to

    def point_to(self, session: Session, case_id: int, now: int) -> None:
        """Lead the thread to a new case (a concurrent delivery that did so first: a race)."""
        if self.stale_case_id is None:
            if not _remember(session, self.channel, self.ref, case_id, now):
                raise DeliveryRace(self.ref)
            return
        moved = session.execute(
            update(ThreadRef)
            .where(
                ThreadRef.channel == self.channel,
                ThreadRef.ref == self.ref,
                ThreadRef.case_id == self.stale_case_id,
            )
            .values(case_id=case_id)
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise DeliveryRace(self.ref)


def _thread(session: Session, channel: str, ref: str) -> _Thread:
    found = session.execute(
        select(ThreadRef.case_id, Case.status)
        .join(Case, Case.id == ThreadRef.case_id)
        .where(ThreadRef.channel == channel, ThreadRef.ref == ref)
    ).first()
    if found is None:
        return _Thread(channel, ref, None, None)
    if found[1] == "closed":  # final: a new message starts a new case
        return _Thread(channel, ref, None, int(found[0]))
    return _Thread(channel, ref, int(found[0]), None)


def _case_of(session: Session, channel: str, ref: str) -> int | None:
    found = session.scalar(
        select(ThreadRef.case_id).where(ThreadRef.channel == channel, ThreadRef.ref == ref)
    )
    return None if found is None else int(found)


def _remember(session: Session, channel: str, ref: str, case_id: int, now: int) -> bool:
    """Record a reference; False when it is recorded already (then nothing changes)."""
    statement = (
        _insert_ignoring_conflict(session)
        .values(channel=channel, ref=ref, case_id=case_id, created_at=now)
        .returning(ThreadRef.id)
    )
    return session.execute(statement).first() is not None


def _insert_ignoring_conflict(session: Session) -> Any:
    # On PostgreSQL a conflicting row another transaction is inserting is waited for: if it
    # commits, this one inserts nothing, and the caller learns it lost the race.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(ThreadRef).on_conflict_do_nothing()
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(ThreadRef).on_conflict_do_nothing()
    return insert(ThreadRef)


def _joined(conversation: str, message_id: str | None) -> str | None:
    # Ids are printable ASCII without spaces (the schema): a space joins them unambiguously.
    return None if message_id is None else f"{conversation} {message_id}"


# -- helpers -----------------------------------------------------------------------------------


def _first_message(session: Session, case_id: int) -> int | None:
    found = session.scalar(select(func.min(Message.id)).where(Message.case_id == case_id))
    return None if found is None else int(found)


def _message_with(
    session: Session, case_id: int, channels: tuple[str, ...], **match: Any
) -> tuple[int, dict[str, Any]] | None:
    """The latest message of a case on those channels whose details hold `match`."""
    rows = session.execute(
        select(Message.id, Message.details)
        .where(Message.case_id == case_id, Message.channel.in_(channels))
        .order_by(Message.id.desc())
    )
    for message_id, details in rows:
        if details and all(details.get(name) == value for name, value in match.items()):
            return int(message_id), dict(details)
    return None


def _subject(prefix: str, text: str) -> str:
    """A subject from a message's first line, shortened to a few words."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) > SUBJECT_WORDS:
        line = line[: SUBJECT_WORDS - 1].rsplit(" ", 1)[0].rstrip() + "…"
    return f"{prefix}: {line}"[:500] if line else prefix[:500]


def _model(model: type[M], **fields: Any) -> M:
    """A flow's request built from a channel's, refused as invalid rather than failing."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise Invalid(f"the request cannot be stored: {problems}") from None
