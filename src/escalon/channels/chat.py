"""Intake from the chat widget's backend: a conversation's messages on its case.

The first customer message of an unknown conversation opens a case (channel `chat`); later ones
join it. A conversation whose case is closed (final) opens a new case and points there from
then on. A message delivered again (same conversation and message id) is stored once. The
functions commit nothing; a concurrent delivery that registered the same conversation or
message first raises `DeliveryRace` (see `escalon.channels.threads`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases import messages, service
from escalon.cases.acting import Actor
from escalon.cases.schemas import MessageIn
from escalon.channels import intake, threads
from escalon.channels.schemas import ChatMessageIn
from escalon.channels.threads import DeliveryRace
from escalon.core.signals import MANAGER_REQUEST, TextAnalyzer
from escalon.errors import Invalid
from escalon.people.directory import Directory
from escalon.people.models import Agent

CHAT = "chat"
CHAT_MESSAGE = "chat-message"
HANDOVER = "handover"
BOT = "chat-bot"  # who the audit trail names for a chat bot's messages


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
) -> intake.Delivered:
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
        seen = threads.case_of(session, CHAT_MESSAGE, seen_key)
        if seen is not None:
            return _chat_duplicate(session, seen, request)
    details = _details(request, handover)
    thread = threads.thread(session, CHAT, request.conversation)
    if thread.case_id is None:
        if request.author != "customer":
            return intake.Delivered(None, None)
        case_id = _open(session, request, actor, now, analyzer, handover, details)
        message_id = intake.first_message(session, case_id)
        thread.point_to(session, case_id, now)
        result = intake.Delivered(case_id, message_id, opened=True, handover=handover)
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
        result = intake.Delivered(case_id, message_id, handover=handover)
    if seen_key is not None and not threads.remember(session, CHAT_MESSAGE, seen_key, case_id, now):
        raise DeliveryRace(seen_key)
    return result


def _details(chat: ChatMessageIn, handover: bool) -> dict[str, Any]:
    """The stored message's details: its conversation, id, and whether a bot wrote it."""
    details: dict[str, Any] = {"conversation": chat.conversation}
    if chat.message_id is not None:
        details["message_id"] = chat.message_id
    if chat.author == "bot":
        details.update(bot=True, shown_to_customer=True)
    if handover:
        details["handover"] = True
    return details


def _open(
    session: Session,
    chat: ChatMessageIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    handover: bool,
    details: dict[str, Any],
) -> int:
    """Open the conversation's case with the customer's first message; returns its id."""
    return intake.open_case(
        session,
        actor=actor,
        now=now,
        analyzer=analyzer,
        details=details,
        tags=(HANDOVER,) if handover else (),
        customer=chat.customer,
        subject=intake.subject("Chat", chat.text),
        body=chat.text,
        channel=CHAT,
    )


def _post_chat(
    session: Session,
    case_id: int,
    chat: ChatMessageIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    details: dict[str, Any],
) -> int:
    if chat.author == "customer":
        message = intake.build(MessageIn, author="customer", body=chat.text, channel=CHAT)
        writer = actor
    elif chat.author == "bot":
        message = intake.build(
            MessageIn, author="agent", public=False, body=chat.text, channel=CHAT
        )
        writer = Actor(actor.user_id, BOT, actor.role)
    else:
        assert chat.agent is not None  # the schema requires it for author "agent"
        handle = _active_agent(session, chat.agent)
        message = intake.build(MessageIn, author="agent", public=True, body=chat.text, channel=CHAT)
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


def _chat_duplicate(session: Session, case_id: int, chat: ChatMessageIn) -> intake.Delivered:
    found = intake.message_with(
        session,
        case_id,
        (CHAT,),
        conversation=chat.conversation,
        message_id=chat.message_id,
    )
    message_id, details = found if found is not None else (None, {})
    return intake.Delivered(
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


def _joined(conversation: str, message_id: str | None) -> str | None:
    # Ids are printable ASCII without spaces (the schema): a space joins them unambiguously.
    return None if message_id is None else f"{conversation} {message_id}"
