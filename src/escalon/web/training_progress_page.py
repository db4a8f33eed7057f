"""Progress pages of the training ground: a person's own progress and certificate, and the
supervisors' view of who needs which practice.

Everyone sees their own progress and certificate; supervisors and admins see anybody's and the
overview of every person with practice or training needs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from escalon.core.state import from_us
from escalon.core.training.scenario import DIFFICULTIES, SKILLS
from escalon.errors import NotFound
from escalon.training import progress
from escalon.training.progress import PASSED, Person, Progress
from escalon.web import charts
from escalon.web.common import Parts, Visit, forbidden, page, signed_in_visit

router = APIRouter(prefix="/ui", include_in_schema=False)
PersonName = Annotated[str | None, Query(max_length=100)]
_OTHERS = "Only supervisors see another person's practice."
_PEOPLE = "Only supervisors see who needs which practice."


def _whom(session: Session, visit: Visit, name: str | None) -> Person | Response:
    """The person a page is about: the visitor, or (supervisors only) the one named."""
    if not name or name == visit.principal.username:
        return progress.person_by_id(session, visit.principal.user_id)
    if not visit.supervises:
        return forbidden(_OTHERS)
    try:
        return progress.person_of(session, name)
    except NotFound as missing:
        return page("notice.html", 404, title="No such person", text=str(missing), visit=visit)


def _score(value: float) -> str:
    return f"{value:.0f}"


def score_chart(found: Progress) -> charts.Chart | None:
    """The average score a week, one line a skill (None: nothing finished yet)."""
    if not found.weeks:
        return None
    buckets = charts.Buckets(
        "Week", tuple(week.split("-", 1)[1] for week in found.weeks), found.weeks
    )
    series = [
        charts.Series(SKILLS.get(skill, skill), values) for skill, values in found.by_week.items()
    ]
    return charts.line_chart("Average score by week", buckets, series, fmt=_score, top=100)


def _day(us: int) -> str:
    return f"{from_us(us):%-d %B %Y}"


def _session_link(key: str) -> str:
    return f"/ui/training/sessions/{key}"


@router.get("/training/progress", response_class=HTMLResponse)
def progress_page(request: Request, parts: Parts, person: PersonName = None) -> Response:
    """A person's scores by skill over time, weakest criteria, suggested practice and why."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        whom = _whom(session, visit, person)
        if not isinstance(whom, Person):
            return whom
        found = progress.progress_of(session, whom)
        needs = progress.needs_of(session, whom, now=parts.clock.now_us())
    return page(
        "training_progress.html",
        visit=visit,
        progress=found,
        needs=needs,
        chart=score_chart(found),
        own=whom.user_id == visit.principal.user_id,
        skills=SKILLS,
        difficulties=DIFFICULTIES,
        passed=PASSED,
        session_link=_session_link,
        spent=progress.spent,
        days=progress.GAP_DAYS,
        day=_day,
    )


@router.get("/training/people", response_class=HTMLResponse)
def people_page(request: Request, parts: Parts) -> Response:
    """Every person with practice or training needs: scores, gaps from real work, scenarios."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        if not visit.supervises:
            return forbidden(_PEOPLE)
        rows = progress.everyone(session, now=parts.clock.now_us())
    return page(
        "training_people.html",
        visit=visit,
        rows=rows,
        skills=SKILLS,
        difficulties=DIFFICULTIES,
        passed=PASSED,
        session_link=_session_link,
        days=progress.GAP_DAYS,
    )


@router.get("/training/certificate", response_class=HTMLResponse)
def certificate_page(request: Request, parts: Parts, person: PersonName = None) -> Response:
    """A printable certificate of a person's finished practice."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        whom = _whom(session, visit, person)
        if not isinstance(whom, Person):
            return whom
        found = progress.certificate(session, whom)
    return page(
        "training_certificate.html",
        visit=visit,
        certificate=found,
        passed=PASSED,
        session_link=_session_link,
        spent=progress.spent,
        day=_day,
    )
