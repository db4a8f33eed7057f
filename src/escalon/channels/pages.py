"""The pages a customer opens from a signed link: the satisfaction survey and the case status.

No API token here: the signed link is the credential (`escalon.channels.links`). A bad link is
a 404 page, an expired one a 410 page; every answer is HTML meant for the customer, and none
shows internal notes, the audit trail or anything else meant for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth.access import services
from escalon.cases import acting, queries, updating, visibility
from escalon.cases import service as case_service
from escalon.cases.models import Case
from escalon.cases.schemas import SurveyIn
from escalon.channels import links
from escalon.core.state import STOPPED_STATUSES, from_us
from escalon.errors import Conflict, NotFound
from escalon.people.models import Agent
from escalon.ratelimits.edge import public_page
from escalon.services import Services
from escalon.templating import PAGE_HEADERS, html_page, page_templates

# Anyone may open these pages: each request counts against its client's limit (429 page).
router = APIRouter(include_in_schema=False, dependencies=[Depends(public_page)])
Parts = Annotated[Services, Depends(services)]

CUSTOMER = acting.Actor(None, "customer", "integration")
SCORES = (
    (1, "Very poor"),
    (2, "Poor"),
    (3, "OK"),
    (4, "Good"),
    (5, "Very good"),
)
STATUS_WORDS = {
    "open": ("Open", "We are working on your case."),
    "pending_customer": ("Pending your reply", "We are waiting for your reply to go on."),
    "pending_third_party": (
        "Waiting for a partner",
        "We are waiting for a partner or supplier to go on; we will come back to you.",
    ),
    "on_hold": ("On hold", "Your case is on hold for the moment; we will come back to it."),
    "resolved": ("Resolved", "We consider your case solved. Reply to reopen it if it is not."),
    "closed": ("Closed", "Your case is closed."),
}
# The page is reached by a secret address: no caching on the way, and no Referer to carry the
# address to another site.
HEADERS = {**PAGE_HEADERS, "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}

_templates = page_templates("escalon.channels")


def _page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    # The pages have no script, but their stylesheet runs only with this response's nonce.
    return html_page(_templates, name, status_code, HEADERS, **context)


def _notice(title: str, text: str, status_code: int = 200) -> HTMLResponse:
    return _page("notice.html", status_code, title=title, text=text)


def _link_problem(error: Exception) -> HTMLResponse:
    if isinstance(error, links.LinkExpired):
        return _notice(
            "This link has expired",
            "Links in our messages stay valid for a limited time. Reply to our last message "
            "and we will send you a new one.",
            410,
        )
    return _notice(
        "This link is not valid",
        "We could not recognise this link. Please check that it was copied completely, or "
        "reply to our last message.",
        404,
    )


def _seconds(parts: Services) -> float:
    return parts.clock.now_us() / 1_000_000


def _case_id(session: Session, parts: Services, token: str, purpose: links.Purpose) -> int:
    days = (
        parts.settings.survey_link_days if purpose == "survey" else parts.settings.status_link_days
    )
    return links.read_token(
        token,
        purpose=purpose,
        max_age_seconds=days * links.DAY_SECONDS,
        now=_seconds(parts),
    )


# -- the survey ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SurveyCase:
    id: int
    subject: str
    status: str
    score: int | None


def _survey_case(session: Session, case_id: int, *, lock: bool = False) -> _SurveyCase:
    query = select(Case.subject, Case.status, Case.survey_score).where(Case.id == case_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    return _SurveyCase(case_id, row[0], row[1], row[2])


def _not_yet(case: _SurveyCase, status_code: int = 200) -> HTMLResponse:
    return _notice(
        f"Case #{case.id} is still open",
        "The survey opens when your case is resolved. We will send you this link again then.",
        status_code,
    )


def _already(case: _SurveyCase, status_code: int = 200) -> HTMLResponse:
    return _notice(
        "Thank you, we already have your answer",
        f"Your answer about case #{case.id} was already recorded ({case.score} out of 5).",
        status_code,
    )


def _survey_form(
    case: _SurveyCase,
    token: str,
    *,
    status_code: int = 200,
    problem: str | None = None,
    score: str = "",
    comment: str = "",
) -> HTMLResponse:
    return _page(
        "survey.html",
        status_code,
        case=case,
        action=f"/survey/{token}",
        scores=SCORES,
        problem=problem,
        chosen=score,
        comment=comment,
    )


@router.get("/survey/{token}", response_class=HTMLResponse)
def survey_page(token: str, parts: Parts) -> HTMLResponse:
    """How did we do? A score from 1 to 5 and a comment, once the case is resolved."""
    with parts.database.read() as session:
        try:
            case = _survey_case(session, _case_id(session, parts, token, "survey"))
        except (links.LinkExpired, NotFound) as error:  # LinkInvalid is a NotFound
            return _link_problem(error)
    if case.score is not None:
        return _already(case)
    if case.status not in STOPPED_STATUSES:
        return _not_yet(case)
    return _survey_form(case, token)


def _answer(score: str, comment: str) -> SurveyIn | str:
    """The survey answer from the form, or what is wrong with it."""
    if score.strip() not in {str(value) for value, _label in SCORES}:
        return "Please choose a score from 1 to 5."
    try:
        return SurveyIn(score=int(score), comment=comment.strip())
    except ValidationError:
        return "Please keep the comment under 10,000 characters."


@router.post("/survey/{token}", response_class=HTMLResponse)
def answer_survey(
    token: str,
    parts: Parts,
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Record the answer (through the same flow as the API, so the policy's rules run)."""
    answer = _answer(score, comment)
    try:
        with parts.database.write() as session:
            case_id = _case_id(session, parts, token, "survey")
            # Locked, so two answers sent at once cannot both be the first.
            case = _survey_case(session, case_id, lock=True)
            if case.score is not None:
                # One answer per case from the link; staff may still record one through the API.
                return _already(case, 409)
            if case.status not in STOPPED_STATUSES:
                return _not_yet(case, 409)
            if isinstance(answer, str):
                return _survey_form(
                    case, token, status_code=422, problem=answer, score=score, comment=comment
                )
            updating.answer_survey(
                session,
                case_id=case_id,
                request=answer,
                actor=CUSTOMER,
                now=parts.clock.now_us(),
            )
    except (links.LinkExpired, NotFound) as error:
        return _link_problem(error)
    except Conflict as error:
        return _notice("We could not record your answer", error.message, 409)
    return _page("thanks.html", case=case, score=answer.score)


# -- the status page -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    at: str
    author: str
    from_customer: bool
    subject: str | None
    body: str


def _when(instant: datetime | int, zone: tzinfo) -> str:
    moment = (from_us(instant) if isinstance(instant, int) else instant).astimezone(zone)
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M %Z}"


def _names(session: Session, handles: set[str]) -> dict[str, str]:
    if not handles:
        return {}
    rows = session.execute(select(Agent.handle, Agent.name).where(Agent.handle.in_(handles)))
    return {str(handle): str(name) for handle, name in rows}


@router.get("/status/{token}", response_class=HTMLResponse)
def status_page(token: str, parts: Parts) -> HTMLResponse:
    """Where the case stands, who handles it, when to expect an answer, and the conversation."""
    now = parts.clock.now_us()
    with parts.database.read() as session:
        try:
            case_id = _case_id(session, parts, token, "status")
        except (links.LinkInvalid, links.LinkExpired) as error:
            return _link_problem(error)
        row = session.execute(case_service.load_query(lock=False).where(Case.id == case_id)).first()
        if row is None:
            return _link_problem(NotFound(f"case {case_id} does not exist"))
        case = case_service.loaded_from_row(row, case_service.policy_of_row(session, row))
        state = case.state
        context = case_service.case_context(case, state)
        zone = context.customer_zone
        shown = [
            m
            for m in queries.messages(
                session, case_id, public_only=True, scope=visibility.EVERYTHING
            )
            if m.author_kind in ("customer", "agent")
        ]
        handles = {m.author for m in shown if m.author_kind == "agent"}
        if state.assignee:
            handles.add(state.assignee)
        names = _names(session, handles)
    if state.assignee and state.assignee in names:
        handler = names[state.assignee]
    elif state.team:
        handler = f"our {state.team} team"
    else:
        handler = "our support team"
    expected = context.expected_answer_at
    stopped = state.status in STOPPED_STATUSES
    if expected is not None and not stopped:
        next_answer = (
            f"by {_when(expected, zone)}"
            if expected > now
            else "any moment now: we are running late, and sorry for the wait"
        )
    else:
        next_answer = None
    label, explanation = STATUS_WORDS.get(state.status, (state.status, ""))
    lines = [
        _Line(
            at=_when(m.at, zone),
            author=(
                (m.author if (m.details or {}).get("participant") else "You")
                if m.author_kind == "customer"
                else names.get(m.author, "Support")
            ),
            from_customer=m.author_kind == "customer",
            subject=m.subject,
            body=m.body,
        )
        for m in shown
    ]
    return _page(
        "status.html",
        case_id=case_id,
        subject=case.subject,
        status=label,
        explanation=explanation,
        handler=handler,
        next_answer=next_answer,
        timezone=str(zone),
        lines=lines,
    )
