"""What the conversation channels (web form, chat, phone, social) and e-mail share when they
turn a delivery into case flows: what became of it, flow requests built from a channel's, a
subject from a message's text, and the messages a delivery stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases import opening
from escalon.cases.acting import Actor
from escalon.cases.models import Message
from escalon.cases.schemas import CaseCreate
from escalon.core.signals import TextAnalyzer
from escalon.errors import Invalid

SUBJECT_WORDS = 80  # characters of a message that make a subject when there is none

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Delivered:
    """What became of a chat message or a social post."""

    case_id: int | None
    message_id: int | None
    opened: bool = False
    duplicate: bool = False
    handover: bool = False


def first_message(session: Session, case_id: int) -> int | None:
    """The id of a case's opening message."""
    found = session.scalar(select(func.min(Message.id)).where(Message.case_id == case_id))
    return None if found is None else int(found)


def message_with(
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


def subject(prefix: str, text: str) -> str:
    """A subject from a message's first line, shortened to a few words."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) > SUBJECT_WORDS:
        line = line[: SUBJECT_WORDS - 1].rsplit(" ", 1)[0].rstrip() + "…"
    return f"{prefix}: {line}"[:500] if line else prefix[:500]


def build(model: type[M], **fields: Any) -> M:
    """A flow's request built from a channel's, refused as invalid rather than failing."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise Invalid(f"the request cannot be stored: {problems}") from None


def open_case(
    session: Session,
    *,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    details: dict[str, Any],
    tags: Sequence[str] = (),
    **case: Any,
) -> int:
    """Open a case with a channel's first message (`case`: the request's fields, refused as
    invalid rather than failing), `details` stored with that message; returns its id."""
    opened = opening.open_case(
        session,
        request=build(CaseCreate, **case),
        actor=actor,
        now=now,
        analyzer=analyzer,
        tags=tags,
        message_details=details,
    )
    return opened.case_id
