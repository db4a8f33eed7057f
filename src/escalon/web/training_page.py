"""The training ground's pages: the scenario library, a scenario, writing one, and sessions.

Everyone on the staff may browse the listed scenarios and practise; supervisors also see the
hidden ones, file them (list, hide, recommend, say how hard), write and edit them, play the
customer in a role-play, and follow anybody's session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth.models import User
from escalon.core.state import from_us
from escalon.core.training.scenario import (
    DIFFICULTIES,
    SKILLS,
    ScenarioInvalid,
    read_scenario,
)
from escalon.errors import EscalonError, NotFound
from escalon.people.models import Agent
from escalon.services import Services
from escalon.training import feedback, library, practice
from escalon.training.models import PracticeSession, TrainingScenario
from escalon.web.common import (
    Csrf,
    Parts,
    Visit,
    forbidden,
    form_visit,
    page,
    redirect,
    signed_in_visit,
)
from escalon.web.practice import Sandboxes, bring_up_to_date

router = APIRouter(prefix="/ui", include_in_schema=False)
HOME = "/ui/training"
Slug = Annotated[str, Form(max_length=80)]
Line = Annotated[str, Form(max_length=200)]
ScenarioText = Annotated[str, Form(max_length=200_000)]
CustomerText = Annotated[str, Form(max_length=5_000)]
NEW_SCENARIO = """\
scenario: 1
id: my-first-scenario
title: A customer asks for a manager after two failed deliveries
skill: manager_request
also: [angry_customer]
difficulty: 2
summary: The parcel failed twice; the customer wants someone with authority.
source: {kind: hand}
customer: Alex
case: {channel: email, subject: Delivery failed twice}
script:
  - {when: start, after: 0s, say: "My parcel failed to arrive again. Second time this week."}
  - {when: reply, after: 3m, say: "I want to speak to a manager, not another apology."}
  - {when: silence, after: 30m, say: "Still nothing? I have been waiting all morning.", mood: annoyed}
  - {when: ignored, after: 5m, say: "You did not answer me: I asked for a manager.", mood: angry}
expect:
  escalate: true
  to_level: supervisor
  first_response: 30m
  request_words: [manager, supervisor, escalate, escalation]
"""


def _sandboxes(request: Request) -> Sandboxes:
    found: Sandboxes = request.app.state.sandboxes
    return found


def _when(moment: int | None) -> str:
    return "" if moment is None else f"{from_us(moment):%a %-d %b %Y %H:%M} UTC"


@router.get("/training", response_class=HTMLResponse)
def library_page(
    request: Request,
    parts: Parts,
    skill: Annotated[str | None, Query(max_length=40)] = None,
    difficulty: Annotated[int | None, Query(ge=1, le=3)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The scenario library and the reader's own practice."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        chosen = skill if skill in SKILLS else None
        scenarios = library.listing(
            session, skill=chosen, difficulty=difficulty, hidden=visit.supervises
        )
        mine = practice.sessions_of(session, visit.principal.user_id, limit=20)
    return page(
        "training.html",
        visit=visit,
        scenarios=scenarios,
        skills=SKILLS,
        difficulties=DIFFICULTIES,
        skill=chosen,
        difficulty=difficulty,
        mine=mine,
        when=_when,
        done=done,
    )


@router.get("/training/scenarios/{slug}", response_class=HTMLResponse)
def scenario_page(request: Request, slug: str, parts: Parts) -> Response:
    """One scenario: the script, what really happened, what is expected; practise it."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        try:
            row = library.get(session, slug)
        except NotFound as missing:
            return page(
                "notice.html", 404, title="No such scenario", text=str(missing), visit=visit
            )
        if row.status != "listed" and not visit.supervises:
            return page(
                "notice.html", 404, title="No such scenario", text="No such scenario.", visit=visit
            )
        trainees = _trainees(session) if visit.supervises else []
    scenario = library.scenario_of(row)
    return page(
        "training_scenario.html",
        visit=visit,
        row=row,
        scenario=scenario,
        skills=SKILLS,
        difficulties=DIFFICULTIES,
        speeds=practice.SPEEDS,
        default_speed=parts.settings.training_speed,
        trainees=trainees,
        text=scenario.to_yaml(),
        problems=[],
    )


def _trainees(session: Session) -> list[tuple[int, str]]:
    return [
        (user_id, username)
        for user_id, username in session.execute(
            select(User.id, User.username)
            .where(User.active.is_(True), User.role.in_(("agent", "supervisor")))
            .order_by(User.username)
        ).all()
    ]


@router.post("/training/scenarios/{slug}/file", response_class=HTMLResponse)
def file_scenario(
    request: Request,
    slug: str,
    parts: Parts,
    csrf_token: Csrf,
    status: Annotated[str, Form(max_length=20)] = "",
    featured: Annotated[str, Form(max_length=5)] = "",
    difficulty: Annotated[int | None, Form(ge=1, le=3)] = None,
) -> Response:
    """A supervisor lists, hides or recommends a scenario, or says how hard it is."""
    visit = form_visit(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    if not visit.supervises:
        return forbidden("Only supervisors file scenarios.")
    try:
        with parts.database.write() as session:
            library.file(
                session,
                slug,
                by=visit.principal.name,
                now=visit.at,
                status=status or None,
                featured=None if not featured else featured == "yes",
                difficulty=difficulty,
            )
    except EscalonError as error:
        return page("notice.html", error.status, title="Not filed", text=str(error), visit=visit)
    return redirect(f"{HOME}/scenarios/{slug}")


@router.get("/training/new", response_class=HTMLResponse)
def new_page(request: Request, parts: Parts) -> Response:
    """The form a supervisor writes a scenario in."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
    if not visit.supervises:
        return forbidden("Only supervisors write scenarios.")
    return page("training_edit.html", visit=visit, text=NEW_SCENARIO, problems=[], row=None)


@router.post("/training/new", response_class=HTMLResponse)
def write_scenario(
    request: Request, parts: Parts, csrf_token: Csrf, text: ScenarioText = ""
) -> Response:
    """Check and store a scenario written by hand, or show the form again with its problems."""
    return _save(request, parts, csrf_token, text, None, None)


@router.get("/training/scenarios/{slug}/edit", response_class=HTMLResponse)
def edit_page(request: Request, slug: str, parts: Parts) -> Response:
    """A supervisor edits a scenario's text."""
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        if not visit.supervises:
            return forbidden("Only supervisors edit scenarios.")
        try:
            row = library.get(session, slug)
        except NotFound as missing:
            return page(
                "notice.html", 404, title="No such scenario", text=str(missing), visit=visit
            )
    text = library.scenario_of(row).to_yaml()
    return page("training_edit.html", visit=visit, text=text, problems=[], row=row)


@router.post("/training/scenarios/{slug}/edit", response_class=HTMLResponse)
def save_edit(
    request: Request,
    slug: str,
    parts: Parts,
    csrf_token: Csrf,
    text: ScenarioText = "",
    version: Annotated[int, Form(ge=0)] = 0,
) -> Response:
    """Save an edited scenario (refused whole when anything in it is wrong)."""
    return _save(request, parts, csrf_token, text, slug, version)


def _save(
    request: Request,
    parts: Services,
    csrf_token: str,
    text: str,
    slug: str | None,
    version: int | None,
) -> Response:
    visit = form_visit(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    if not visit.supervises:
        return forbidden("Only supervisors write scenarios.")
    row: TrainingScenario | None = None
    try:
        scenario = read_scenario(text, "scenario")
        with parts.database.write() as session:
            if slug is None:
                row, _new = library.add(session, scenario, by=visit.principal.name, now=visit.at)
            else:
                row = library.rewrite(
                    session,
                    slug,
                    scenario,
                    by=visit.principal.name,
                    now=visit.at,
                    version=version or 0,
                )
            saved = row.slug
    except ScenarioInvalid as invalid:
        problems = [str(problem) for problem in invalid.problems]
        return _edit_again(parts, visit, text, problems, slug)
    except EscalonError as error:
        return _edit_again(parts, visit, text, [str(error)], slug)
    return redirect(f"{HOME}/scenarios/{saved}")


def _edit_again(
    parts: Services, visit: Visit, text: str, problems: list[str], slug: str | None
) -> Response:
    row = None
    if slug is not None:
        with parts.database.read() as session:
            row = library.get(session, slug)
    return page("training_edit.html", 422, visit=visit, text=text, problems=problems, row=row)


@router.post("/training/sessions", response_class=HTMLResponse)
def start_session(
    request: Request,
    parts: Parts,
    csrf_token: Csrf,
    scenario: Slug = "",
    speed: Annotated[float | None, Form(ge=1, le=3600)] = None,
    trainee: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """Start practising a scenario in a new sandbox; a supervisor naming a trainee starts a
    role-play in which they write as the customer."""
    visit = form_visit(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    role_play = trainee is not None and trainee != visit.principal.user_id
    if role_play and not visit.supervises:
        return forbidden("Only supervisors play the customer for someone else.")
    try:
        with parts.database.read() as session:
            row = library.get(session, scenario)
            me = session.get(User, visit.principal.user_id)
            player = session.get(User, trainee) if role_play else me
            if me is None or player is None or not player.active:
                raise NotFound("no such person")
            planned = practice.plan(
                session,
                settings=parts.settings,
                scenario_row=row,
                user=player,
                handle=_handle_of(session, player),
                now=visit.at,
                speed=speed,
                mode="role_play" if role_play else "scripted",
                role_player=me if role_play else None,
            )
        built = practice.build(planned, settings=parts.settings, analyzer=parts.analyzer)
        try:
            with parts.database.write() as session:
                started = practice.record(session, planned, built, now=visit.at)
        except BaseException:
            practice.discard(parts.settings, built.key)
            raise
    except EscalonError as error:
        return page("notice.html", error.status, title="Not started", text=str(error), visit=visit)
    if role_play:
        return redirect(f"{HOME}/sessions/{started.key}")
    return redirect(f"/ui/practice/{started.key}/cases/{started.case_id}")


def _handle_of(session: Session, user: User) -> str | None:
    if user.agent_id is None:
        return None
    return session.scalar(select(Agent.handle).where(Agent.id == user.agent_id))


def _session_for(
    request: Request, parts: Services, key: str
) -> tuple[Visit, PracticeSession] | Response:
    with parts.database.read() as session:
        visit = signed_in_visit(request, session, parts)
        if not isinstance(visit, Visit):
            return visit
        try:
            row = practice.by_key(session, key)
        except NotFound as missing:
            return page("notice.html", 404, title="Not found", text=str(missing), visit=visit)
    if not practice.may_watch(row, user_id=visit.principal.user_id, role=visit.principal.role):
        return forbidden("This practice session is someone else's.")
    return visit, row


@router.get("/training/sessions/{key}", response_class=HTMLResponse)
def session_page(request: Request, key: str, parts: Parts) -> Response:
    """A session: the conversation so far, what the sandbox captured, and the feedback."""
    found = _session_for(request, parts, key)
    if isinstance(found, Response):
        return found
    visit, row = found
    sandboxes = _sandboxes(request)
    try:
        opened = sandboxes.of(row)
    except NotFound:
        seen = None  # pruned: the score and its reasons stay, the conversation went with it
    else:
        bring_up_to_date(opened, row)
        seen = feedback.looked_at(opened.services, row)
    return page(
        "training_session.html",
        visit=visit,
        row=row,
        seen=seen,
        scenario=practice.scenario_of(row),
        trainee_here=visit.principal.user_id == row.trainee_user_id,
        playing=row.mode == "role_play" and visit.principal.user_id == row.role_player_user_id,
        when=_when,
        skills=SKILLS,
        refresh=round(parts.settings.dashboard_refresh_seconds * 1000),
    )


@router.post("/training/sessions/{key}/finish", response_class=HTMLResponse)
def finish_session(request: Request, key: str, parts: Parts, csrf_token: Csrf) -> Response:
    """End the session and score it."""
    visit = form_visit(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    try:
        with parts.database.write() as session:
            row = practice.by_key(session, key, lock=True)
            if visit.principal.user_id not in (row.trainee_user_id, row.role_player_user_id):
                return forbidden("Only the trainee or the supervisor playing the customer ends it.")
            opened = _sandboxes(request).of(row)
            bring_up_to_date(opened, row)
            feedback.finish(opened.services, row, now=visit.at)
    except EscalonError as error:
        return page("notice.html", error.status, title="Not finished", text=str(error), visit=visit)
    return redirect(f"{HOME}/sessions/{key}")


@router.post("/training/sessions/{key}/customer", response_class=HTMLResponse)
def write_as_customer(
    request: Request, key: str, parts: Parts, csrf_token: Csrf, text: CustomerText = ""
) -> Response:
    """The supervisor playing the customer writes to the trainee."""
    visit = form_visit(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    with parts.database.read() as session:
        try:
            row = practice.by_key(session, key)
        except NotFound as missing:
            return page("notice.html", 404, title="Not found", text=str(missing), visit=visit)
    if row.mode != "role_play" or visit.principal.user_id != row.role_player_user_id:
        return forbidden("Only the supervisor playing the customer writes as the customer.")
    if row.status != "running":
        return page("notice.html", 409, title="Ended", text="This session has ended.", visit=visit)
    if not text.strip():
        return redirect(f"{HOME}/sessions/{key}")
    opened = _sandboxes(request).of(row)
    bring_up_to_date(opened, row)
    feedback.customer_says(opened.services, row, text=text.strip())
    return redirect(f"{HOME}/sessions/{key}#conversation")


def skill_words(skills: Any) -> list[str]:
    """The skills of a row in words."""
    return [SKILLS.get(skill, skill) for skill in skills]
