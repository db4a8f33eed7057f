"""Messages on a case: the customer's and the agents', and an agent's reply queued for the
customer in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases import acting, search, service
from escalon.cases.acting import Actor
from escalon.cases.models import Message
from escalon.cases.schemas import MessageIn
from escalon.core.events import AgentMessage, CustomerMessage, Event
from escalon.core.signals import TextAnalyzer
from escalon.core.state import from_us
from escalon.database.base import table_of
from escalon.errors import Conflict, Invalid
from escalon.knowledge import sending
from escalon.notifications import replies
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import CustomerMessages
from escalon.people.directory import Directory


def post_message(
    session: Session,
    *,
    case_id: int,
    request: MessageIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    if_match: int | None = None,
    details: dict[str, Any] | None = None,
    written_by: str | None = None,
    deliver: bool = False,
    request_key: str | None = None,
    files: Sequence[replies.ReplyFile] = (),
) -> int:
    """Add a message from the customer or an agent; returns the message's id.

    `details` are stored with the message (a call's duration and outcome, e-mail headers...).
    `written_by` names who wrote a customer-side message when it is not the customer (a
    participant of the case): the message is stored under that name, never the customer's.
    With `deliver`, an agent's public reply is queued for the customer in the same transaction
    (without it, the message records an answer given elsewhere: a call, a chat); `request_key`
    (the caller's Idempotency-Key) makes a retried request return the reply it already made.
    `files` are kept with an agent's message and go with the reply as attachments.
    """
    if files:
        if request.author != "agent":
            raise Invalid("attachments come with an agent's message")
        replies.check_attachments(files)
    replying = deliver and request.author == "agent" and request.public
    articles = _articles(session, request, replying=replying)
    if articles:
        details = {**(details or {}), "articles": [found["slug"] for found in articles]}
    key = None
    if replying and request_key:
        key = replies.reply_key(case_id, f"request|{actor.user_id}|{request_key}")
    case = acting.locked(session, case_id, None if key else if_match, actor)
    if key:
        # A retry of a request that went through answers with its reply: before the version
        # check, since that reply moved the version on.
        earlier = _earlier_reply(session, key, case_id, request)
        if earlier is not None:
            return earlier
        acting.check_version(case, if_match)
    at = acting.event_at(case, now)
    event, author = _message_event(case, request, actor, written_by, at)
    change = acting.apply(
        session, case, event, at, actor, analyzer, data=acting.event_data(event, skip=("body",))
    )
    # Written before the change, so the notices it makes quote these very words.
    message_id = _stored(session, case_id, request, author, details, at)
    acting.write(session, [change], now)
    search.add_messages(session, [(case_id, request.subject, request.body)])
    attached = (
        replies.store_attachments(
            session, case_id=case_id, message_row_id=message_id, files=files, now=now
        )
        if files
        else []
    )
    if replying:
        _queue_reply(
            session,
            case,
            change,
            message_id,
            request,
            actor,
            key,
            attached,
            articles,
            at=at,
            now=now,
        )
    return message_id


def _stored(
    session: Session,
    case_id: int,
    request: MessageIn,
    author: str,
    details: dict[str, Any] | None,
    at: int,
) -> int:
    """Store the message's row; its id."""
    row = acting.message_row(
        at=at,
        author_kind=request.author,
        author=author,
        public=request.public,
        channel=request.channel,
        subject=request.subject,
        body=request.body,
        details=details,
        time_spent_seconds=request.time_spent_seconds,
    )
    found = session.scalar(
        insert(table_of(Message)).returning(table_of(Message).c.id), {"case_id": case_id, **row}
    )
    return int(found or 0)


def _articles(session: Session, request: MessageIn, *, replying: bool) -> list[dict[str, Any]]:
    """What the help articles a reply sends say in its mail; Invalid when the message is not a
    reply that goes to the customer, or names an article it may not send."""
    if request.articles and not replying:
        raise Invalid("articles go with a reply sent to the customer")
    return sending.attachable(session, request.articles, CustomerMessages.of(session).public_url)


def _message_event(
    case: service.LoadedCase, request: MessageIn, actor: Actor, written_by: str | None, at: int
) -> tuple[Event, str]:
    """The engine's event for a message, and the author it is stored under."""
    if request.author == "customer":
        said = CustomerMessage(
            at=from_us(at), case=str(case.id), body=request.body, channel=request.channel
        )
        return said, written_by or case.customer_ref
    answer = AgentMessage(
        **acting.by_actor(case.id, at, actor), public=request.public, body=request.body
    )
    return answer, actor.name


def _earlier_reply(session: Session, key: str, case_id: int, request: MessageIn) -> int | None:
    """The message a reply with this key already carried, if one was queued.

    Invalid when the key was used for another reply.
    """
    found = session.scalar(
        select(OutboxMessage.case_message_id).where(
            OutboxMessage.key == key, OutboxMessage.case_id == case_id
        )
    )
    if found is None:
        return None
    said = session.scalar(select(Message.body).where(Message.id == found))
    if said != request.body:
        raise Invalid(
            "this Idempotency-Key was already used for another reply on this case; "
            "use a new key for a new reply"
        )
    return int(found)


def _queue_reply(
    session: Session,
    case: service.LoadedCase,
    change: service.Change,
    message_id: int,
    request: MessageIn,
    actor: Actor,
    key: str | None,
    attached: list[dict[str, Any]],
    articles: list[dict[str, Any]],
    *,
    at: int,
    now: int,
) -> None:
    """Write the outbox row that takes an agent's public reply to the customer."""
    directory = Directory(session)
    context = service.case_context(case, change.state)
    thread = directory.customer_threads([case.id]).get(case.id)
    # Times the customer reads are in their zone, as in every other message to them.
    context = replace(context, customer_thread=thread, timezone=context.customer_zone)
    person = directory.person(actor.agent) if actor.agent else None
    row = replies.reply_row(
        context=context,
        directory=directory,
        key=key or replies.reply_key(case.id, f"message|{message_id}"),
        message_row_id=message_id,
        text=request.body,
        author_name=person.name if person is not None else actor.name,
        subject=request.subject,
        at=from_us(at).astimezone(context.timezone).isoformat(),
        now=now,
        attachments=attached,
        articles=articles,
    )
    try:
        with session.begin_nested():
            session.execute(insert(OutboxMessage), [row])
    except IntegrityError:
        # The same request, retried while the first was still being written: it wins.
        raise Conflict(
            "this reply is already being sent by an earlier request with the same key"
        ) from None
