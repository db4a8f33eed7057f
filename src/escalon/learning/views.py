"""The lessons API: write one down about a case, and search them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select

from escalon.auth.access import Reader, Staff
from escalon.cases.models import Case
from escalon.errors import error_responses
from escalon.learning import lessons as learned
from escalon.learning.lessons import LessonIn, LessonOut

router = APIRouter(prefix="/api/v1")
Id = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]


@router.post(
    "/cases/{case_id}/lessons",
    tags=["learning"],
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422),
)
def add_lesson(case_id: Id, body: LessonIn, context: Staff) -> LessonOut:
    """Write down what would have prevented this case's escalation."""
    with context.db.write() as session:
        lesson = learned.add_lesson(
            session,
            case_id=case_id,
            text=body.text,
            actor=context.actor,
            now=context.now(),
            scope=context.scope(session),
        )
        subject = session.scalar(select(Case.subject).where(Case.id == case_id)) or ""
        return learned.lesson_out(lesson, subject)


@router.get("/lessons", tags=["learning"], responses=error_responses(401, 403, 422))
def list_lessons(
    context: Reader,
    q: Annotated[str, Query(max_length=200, description="every word must occur")] = "",
    case_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LessonOut]:
    """Lessons of the cases in the caller's sight, newest first."""
    with context.db.read() as session:
        return learned.lessons(
            session, scope=context.scope(session), words=q, case_id=case_id, limit=limit
        )
