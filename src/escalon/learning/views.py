"""The learning API: lessons about a case, kudos, the recurring topics among escalated cases,
and a manager's weekly review mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import select

from escalon.auth.access import Reader, Staff, Supervisor
from escalon.cases.models import Case
from escalon.errors import Invalid, error_responses
from escalon.learning import kudos, review_mail, topic_runs
from escalon.learning import lessons as learned
from escalon.learning.kudos import KudosIn, KudosOut
from escalon.learning.lessons import LessonIn, LessonOut
from escalon.learning.review_mail import ReviewMailIn, ReviewMailOut
from escalon.request_params import DateTime, instant_us

router = APIRouter(prefix="/api/v1")
Id = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]
DAY_US = 86_400_000_000


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


@router.post(
    "/kudos",
    tags=["learning"],
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 409, 422),
)
def give_kudos(body: KudosIn, context: Staff) -> KudosOut:
    """Thank someone who handled a case (once per case and person; never yourself)."""
    with context.db.write() as session:
        return kudos.give(
            session, body, actor=context.actor, now=context.now(), scope=context.scope(session)
        )


@router.get("/kudos", tags=["learning"], responses=error_responses(401, 403, 422))
def list_kudos(
    context: Reader, since: DateTime | None = None, until: DateTime | None = None
) -> list[KudosOut]:
    """Kudos of the window (default: the last 30 days): earned by escalated cases resolved
    well, and given by hand; newest first."""
    now = context.now()
    end = now + 1 if until is None else instant_us(until, "until")  # up to this instant
    start = end - 30 * DAY_US if since is None else instant_us(since, "since")
    if start >= end:
        raise Invalid("since must come before until")
    with context.db.read() as session:
        return list(
            kudos.board(session, since=start, until=end, scope=context.scope(session)).kudos
        )


@router.get("/topics", tags=["learning"], responses=error_responses(401, 403))
def latest_topics(context: Reader) -> topic_runs.TopicsOut:
    """Recurring topics among escalated cases, from the latest stored run: new ones first, then
    growing ones, then by size; each with the case list behind its counts."""
    with context.db.read() as session:
        return topic_runs.topics_out(topic_runs.latest(session, scope=context.scope(session)))


@router.get("/review-mail", tags=["learning"], responses=error_responses(401, 403))
def my_review_mail(context: Supervisor) -> ReviewMailOut:
    """Whether the weekly escalation review comes to you by mail, where, and when."""
    with context.db.read() as session:
        return review_mail.subscription(
            session, user_id=context.principal.user_id, settings=context.services.settings
        )


@router.put("/review-mail", tags=["learning"], responses=error_responses(401, 403, 422))
def choose_review_mail(body: ReviewMailIn, context: Supervisor) -> ReviewMailOut:
    """Opt out of the weekly review mail (`subscribed: false`), or back in."""
    with context.db.write() as session:
        review_mail.set_subscribed(
            session,
            user_id=context.principal.user_id,
            subscribed=body.subscribed,
            now=context.now(),
        )
        return review_mail.subscription(
            session, user_id=context.principal.user_id, settings=context.services.settings
        )
