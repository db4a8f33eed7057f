"""Lessons learned: what would have prevented an escalation, written down and searchable.

Resolving or de-escalating an escalated case invites a short note; it can also be added later.
Lessons are read by everyone who may see their case, and gathered in the weekly review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.acting import Actor
from escalon.cases.models import Case
from escalon.core.state import from_us
from escalon.errors import Invalid, NotFound
from escalon.learning.models import Lesson

MAX_LESSON = 2_000
MAX_WORDS = 10
Moment = Literal["resolved", "de-escalated", "later"]


class LessonIn(BaseModel):
    """A lesson about a case."""

    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LESSON)
    ] = Field(description="what would have prevented this escalation")


class LessonOut(BaseModel):
    """A lesson as it is listed."""

    id: int
    case_id: int
    subject: str
    at: datetime
    author: str
    moment: str
    text: str
    root_cause: str | None


def add_lesson(
    session: Session,
    *,
    case_id: int,
    text: str,
    actor: Actor,
    now: int,
    moment: Moment = "later",
    scope: visibility.Scope = visibility.EVERYTHING,
) -> Lesson:
    """Write a lesson down about a case in the actor's sight; Invalid for a case that never
    escalated (there is nothing to prevent)."""
    visibility.require(session, scope, case_id)
    found = session.execute(
        select(Case.escalations, Case.root_cause).where(Case.id == case_id)
    ).first()
    if found is None:
        raise NotFound(f"case {case_id} does not exist")
    escalations, cause = found
    if not escalations:
        raise Invalid(
            f"case {case_id} never escalated: a lesson says what would have prevented an escalation"
        )
    text = text.strip()
    if not text or len(text) > MAX_LESSON:
        raise Invalid(f"a lesson is 1 to {MAX_LESSON:,} characters")
    lesson = Lesson(
        case_id=case_id, at=now, author=actor.name, moment=moment, text=text, root_cause=cause
    )
    session.add(lesson)
    session.flush()
    return lesson


def lessons(
    session: Session,
    *,
    scope: visibility.Scope,
    words: str = "",
    case_id: int | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 100,
) -> list[LessonOut]:
    """Lessons in scope, newest first, each containing every word given (any case)."""
    query = select(Lesson, Case.subject).join(Case, Case.id == Lesson.case_id)
    condition = scope.where()
    if condition is not None:
        query = query.where(condition)
    wanted = words.split()
    if len(wanted) > MAX_WORDS:
        raise Invalid(f"search lessons with at most {MAX_WORDS} words")
    for word in wanted:
        pattern = (
            "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(func.lower(Lesson.text).like(pattern, escape="\\"))
    if case_id is not None:
        query = query.where(Lesson.case_id == case_id)
    if since is not None:
        query = query.where(Lesson.at >= since)
    if until is not None:
        query = query.where(Lesson.at < until)
    rows = session.execute(query.order_by(Lesson.at.desc(), Lesson.id.desc()).limit(limit))
    return [lesson_out(lesson, subject) for lesson, subject in rows]


def lesson_out(lesson: Lesson, subject: str) -> LessonOut:
    """A lesson as the API and the pages show it."""
    return LessonOut(
        id=lesson.id,
        case_id=lesson.case_id,
        subject=subject,
        at=from_us(lesson.at),
        author=lesson.author,
        moment=lesson.moment,
        text=lesson.text,
        root_cause=lesson.root_cause,
    )
