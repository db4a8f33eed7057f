"""The case page: a case's whole timeline, its clocks, and every action an agent takes on it.

Every form posts to a small view that calls the same use case as the API (`escalon.cases`: opening, messages...),
then sends the browser back to the page (post/redirect/get). Forms that change the case's state
carry the version the person saw, so a change made meanwhile by someone else (or by the engine)
is refused instead of overwritten; replies and notes never need it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth.access import STAFF
from escalon.cases import (
    acknowledging,
    approvals,
    escalation,
    messages,
    queries,
    root_causes,
    updating,
    visibility,
)
from escalon.cases.models import Case
from escalon.cases.schemas import (
    MAX_TIME_SPENT_SECONDS,
    ApprovalDecisionIn,
    ApprovalIn,
    ApprovalOut,
    AuditEntryOut,
    CaseOut,
    CasePatch,
    DeEscalateIn,
    EscalateIn,
    MessageIn,
    OrganisationRef,
    SlaOut,
)
from escalon.cases.views import By
from escalon.channels import links
from escalon.channels.models import Attachment
from escalon.core.policy import Policy
from escalon.core.state import to_us
from escalon.errors import EscalonError, Forbidden, Invalid, NotFound
from escalon.forecast import risk as forecast_risk
from escalon.knowledge import matching
from escalon.knowledge.schemas import ArticleMatch
from escalon.learning import kudos, lessons
from escalon.learning.kudos import KudosIn
from escalon.learning.lessons import Moment
from escalon.notifications import replies
from escalon.organisations import service as organisations
from escalon.people import presence
from escalon.people import service as people_service
from escalon.people.models import Agent
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion
from escalon.services import Services
from escalon.web import case_time
from escalon.web import clocks as clock_words
from escalon.web.access import acting, by, scope_of
from escalon.web.common import (
    SIGN_IN,
    STATUSES,
    Csrf,
    Parts,
    Visit,
    countdown,
    duration,
    form_visit,
    page,
    redirect,
    visit_of,
)
from escalon.web.policy_text import metric_name
from escalon.web.timeline import Entry, assignees, timeline, what_it_did, when

log = logging.getLogger("escalon.web")

router = APIRouter(prefix="/ui", include_in_schema=False)
CaseId = Annotated[int, Path(ge=1, le=2**62)]
ApprovalId = Annotated[int, Path(ge=1, le=2**62)]
Version = Annotated[int | None, Form(ge=1, le=2**62)]
US = 1_000_000
# A file is read no further than one byte past the largest kept, so that it is refused (413).
MAX_READ = replies.MAX_ATTACHMENT_BYTES

# What the page says after a form did its work; the query string names one, never free text.
DONE = {
    "reply": "Your reply was saved.",
    "note": "Your internal note was added.",
    "escalate": "The case was escalated.",
    "route": "The case was handed to the other team.",
    "acknowledge": "You acknowledged the escalation; the case is yours.",
    "de-escalate": "The case went back down with your hand-over note.",
    "kudos": "Your kudos are on the numbers page, for the whole team to see.",
    "approval": "The approval request was recorded.",
    "decision": "Your decision on the approval was recorded.",
    "withdrawal": "Your approval request was withdrawn.",
    "update": "The case was updated.",
    "resolve": "The case was resolved.",
    "take": "The case is assigned to you.",
    "assign": "The case was handed over as you chose.",
}


@dataclass(frozen=True, slots=True)
class Clock:
    """An SLA clock as the page shows it."""

    metric: str
    target: str
    state: str
    due: str
    due_iso: str
    countdown: str
    css: str
    # The same due instant in the viewer's own zone (empty when it has none).
    due_yours: str = ""


@dataclass(frozen=True, slots=True)
class Choices:
    """What the forms may offer for this case under its policy."""

    levels_above: list[str]
    levels_below: list[str]
    teams: list[str]
    priorities: list[str]
    authority_kinds: list[str]
    root_causes: list[str]
    categories: tuple[str, ...] = ()  # the policy's, offered when changing the category
    # The policy's root-cause codes and labels: offered instead of free text when it lists some.
    cause_codes: tuple[tuple[str, str], ...] = ()
    # The team's root-cause classifier's guess, when it has one it is sure enough of.
    suggested_cause: CauseSuggestion | None = None
    # Whom the person may thank for this case: those who handled it, but themselves.
    kudos_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CauseSuggestion:
    """A root cause the team's classifier suggests at resolution; the person decides."""

    code: str
    label: str
    confidence: float

    @property
    def words(self) -> str:
        """The suggestion as the form shows it."""
        return f"{self.label} ({self.confidence:.0%} sure, learnt from your team's past cases)"


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """An approval request as the page shows it: what the person may do about it, and who may
    decide it when they may not."""

    approval: ApprovalOut
    may_decide: bool = False
    may_withdraw: bool = False
    refusal: str | None = None
    deciders: tuple[str, ...] = ()
    needs: str = ""


@dataclass(frozen=True, slots=True)
class CaseView:
    """Everything the case page shows."""

    case: CaseOut
    clocks: list[Clock]
    timezone: str
    clock_caption: str
    organisation: OrganisationRef | None
    timeline: list[Entry]
    approvals: list[ApprovalView]
    choices: Choices
    status_url: str
    handler: str
    may_acknowledge: bool
    # Names the reply form's one submission: sent twice (a double click, a resent form), it
    # makes one reply.
    reply_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    # Whom a supervisor may hand the case to: everyone active, who is here, and their load.
    people: tuple[presence.Person, ...] = ()
    # The knowledge-base articles that best answer the case's messages.
    articles: tuple[ArticleMatch, ...] = ()
    # The team's running OLA, and whose time the case's time was.
    ola: case_time.OlaRow | None = None
    time: tuple[case_time.TimeRow, ...] = ()
    # The breach forecast of the nearest running clock, in words, and its colour.
    forecast: str | None = None
    forecast_css: str = ""
    # How likely it was to be escalated when it opened, and why (None on the live refresh).
    risk: forecast_risk.CaseRiskView | None = None

    @property
    def settled(self) -> bool:
        """Resolved or closed: nothing to escalate, assign or approve until it is reopened."""
        return self.case.status in SETTLED


SETTLED = frozenset({"resolved", "closed"})


def _said(view: CaseView, said: str | None, done: str | None, message: int | None) -> str | None:
    """What the page says after a form: for a reply, what really became of it."""
    if done == "reply" and message is not None:
        for entry in view.timeline:
            if entry.message_id == message and entry.delivery is not None:
                return f"Your reply was saved. {entry.delivery_text}"
    return said


def _clocks(
    sla: SlaOut, now: int, *, business: bool, zone: tzinfo, yours: tzinfo | None = None
) -> list[Clock]:
    """The SLA table: business time (targets in business hours, business time left) when the
    SLA's calendar keeps office hours, wall time (time until the due instant) when it is always
    open."""
    shown = []
    for clock in sla.clocks:
        if clock.breached:
            state = "breached"
        elif not clock.running:
            state = "stopped"
        elif clock.paused:
            state = "paused"
        elif clock.warned:
            state = "warning"
        else:
            state = "running"
        due_us = None if clock.due_at is None else to_us(clock.due_at)
        warning_us = None if clock.warning_at is None else to_us(clock.warning_at)
        running = clock.running and not clock.paused
        text, css = countdown(due_us, now, warning_us) if running else ("—", "")
        if running and business and clock.remaining_seconds is not None:
            text = clock_words.business_left(round(clock.remaining_seconds * US))
        if clock.breached:
            css = "due-breach"
        target = "—"
        if clock.target_seconds is not None:
            target_us = round(clock.target_seconds * US)
            target = clock_words.business_target(target_us) if business else duration(target_us)
        due, due_iso = ("—", "") if due_us is None else when(due_us, zone)
        due_yours = "" if yours is None or due_us is None else when(due_us, yours)[0]
        shown.append(
            Clock(metric_name(clock.metric), target, state, due, due_iso, text, css, due_yours)
        )
    return shown


def _policy(session: Session, version_id: int) -> Policy:
    fingerprint = session.scalar(
        select(PolicyVersion.fingerprint).where(PolicyVersion.id == version_id)
    )
    return policies.compiled(session, version_id, fingerprint)


def _suggested_cause(
    session: Session, parts: Parts, policy: Policy, case: CaseOut
) -> CauseSuggestion | None:
    """What the team's root-cause model suggests for an escalated case still to be resolved."""
    suggest = getattr(parts.analyzer, "suggest_cause", None)
    if suggest is None or case.status in SETTLED or not policy.root_causes:
        return None
    if case.escalations == 0:
        return None
    text = root_causes.opening_text(session, case.id)
    if not text.strip():
        return None
    try:
        guess = suggest(text)
    except (OSError, ValueError) as error:
        # A broken model file must not break the case page: it shows no suggestion.
        log.error("root-cause model failed, no suggestion shown: %s", error)
        return None
    if guess is None or guess.category not in policy.root_causes:
        return None  # a code this policy no longer lists is no choice to offer
    return CauseSuggestion(guess.category, policy.root_causes[guess.category], guess.confidence)


def _kudos_to(session: Session, case: CaseOut, visit: Visit) -> tuple[str, ...]:
    """Who handled an escalated case, but the person looking."""
    if not case.escalations:
        return ()
    me = (visit.principal.agent, visit.principal.name)
    return tuple(handle for handle in kudos.handlers(session, case.id) if handle not in me)


def _choices(
    session: Session,
    policy: Policy,
    case: CaseOut,
    suggested: CauseSuggestion | None = None,
    kudos_to: tuple[str, ...] = (),
) -> Choices:
    rank = policy.level_index.get(case.level, 0)
    names = [level.name for level in policy.levels]
    kinds = sorted({kind for level in policy.levels for kind in level.authority})
    causes = session.scalars(
        select(Case.root_cause).where(Case.root_cause.isnot(None)).distinct().limit(200)
    )
    return Choices(
        levels_above=names[rank + 1 :],
        levels_below=names[:rank],
        teams=sorted(team for team in policy.teams if team != case.team),
        priorities=list(policy.priorities),
        authority_kinds=kinds,
        root_causes=sorted(str(cause) for cause in causes),
        categories=policy.categories,
        cause_codes=tuple(policy.root_causes.items()),
        suggested_cause=suggested,
        kudos_to=kudos_to,
    )


def _names(session: Session, handles: set[str]) -> dict[str, str]:
    """Agents' names by handle, for the handles given."""
    if not handles:
        return {}
    rows = session.execute(select(Agent.handle, Agent.name).where(Agent.handle.in_(handles)))
    return {str(handle): str(name) for handle, name in rows if name}


def _handler(session: Session, case: CaseOut) -> str:
    if case.assignee:
        name = session.scalar(select(Agent.name).where(Agent.handle == case.assignee))
        return f"{name} ({case.assignee})" if name else case.assignee
    return f"team {case.team} (unassigned)"


def _may_acknowledge(session: Session, parts: Parts, visit: Visit, case: CaseOut) -> bool:
    """Whether the case waits on an acknowledgement the person may give (the flow checks again)."""
    if not case.awaiting_acknowledgement or case.status in SETTLED:
        return False
    actor = acting(visit, parts)
    return acknowledging.refusal(session, actor=actor, level=case.level, team=case.team) is None


def _approvals(
    session: Session, parts: Parts, visit: Visit, policy: Policy, case_id: int
) -> list[ApprovalView]:
    """The case's approval requests; for the pending ones, what the use cases would let the person
    do (they check again) and who may decide."""
    scope = visibility.EVERYTHING  # the case itself was read in the person's scope
    rights = approvals.pending_rights(
        session, case_id=case_id, policy=policy, actor=acting(visit, parts)
    )
    shown = []
    for approval in queries.approvals(session, case_id, scope=scope):
        found = rights.get(approval.id)
        if found is None:
            shown.append(ApprovalView(approval))
            continue
        level = found.needed_level
        needs = f"an authority of {approval.amount:g}" + (
            f" (level {level} or above)" if level else " (no level has it; an own limit may)"
        )
        shown.append(
            ApprovalView(
                approval,
                may_decide=found.may_decide,
                may_withdraw=found.may_withdraw,
                refusal=found.refusal,
                deciders=found.deciders,
                needs=needs,
            )
        )
    return shown


def load_view(
    session: Session, parts: Parts, case_id: int, visit: Visit, *, articles: bool = True
) -> CaseView:
    """Read everything the case page shows, in one transaction: NotFound for a case the person
    may not see, as for one that does not exist. `articles`: match the knowledge base too (the
    page's side column; its refresh every few seconds shows none)."""
    now = parts.clock.now_us()
    case = queries.get_case(session, case_id, scope=scope_of(session, visit, parts), now=now)
    # The case is in the person's scope: its parts are read without asking again.
    sla = queries.sla(session, case_id, now, scope=visibility.EVERYTHING)
    zone = ZoneInfo(sla.timezone)
    messages = queries.messages(session, case_id, public_only=False, scope=visibility.EVERYTHING)
    audit = queries.audit(
        session, case_id, after=None, limit=1000, scope=visibility.EVERYTHING
    ).items
    policy = _policy(session, case.policy.id)
    business = sla.calendar is not None and not sla.always_open
    organisation = organisations.ref(organisations.of_known_customer(session, case.customer.id))
    calendar_name = sla.calendar
    if calendar_name == "customer":
        calendar_name = "of the customer's organisation"
        if organisation is not None:
            calendar_name = f"of {organisation.name}, the customer's organisation"
    own = people_service.zone_of(session, visit.principal.agent)
    yours = own if own is not None and str(own) != sla.timezone else None
    base = parts.settings.public_url or ""
    return CaseView(
        case=case,
        clocks=_clocks(sla, now, business=business, zone=zone, yours=yours),
        timezone=sla.timezone,
        clock_caption=clock_words.caption(
            business=business, calendar=calendar_name, zone=sla.timezone
        )
        + ("" if yours is None else f" Your time: {yours}."),
        organisation=organisation,
        timeline=timeline(
            messages,
            audit,
            zone,
            case.customer.name or case.customer.ref,
            _names(session, assignees(audit)),
        ),
        approvals=_approvals(session, parts, visit, policy, case_id),
        choices=_choices(
            session,
            policy,
            case,
            _suggested_cause(session, parts, policy, case),
            _kudos_to(session, case, visit),
        ),
        status_url=""
        if parts.settings.practice_sandbox
        else links.status_url(case_id, base, now=now / US),
        handler=_handler(session, case),
        may_acknowledge=_may_acknowledge(session, parts, visit, case),
        people=(
            tuple(presence.people(session, now=now, team=case.team))
            if visit.supervises and case.status not in SETTLED
            else ()
        ),
        articles=tuple(matching.for_case(session, case_id)) if articles else (),
        ola=case_time.ola_row(case.ola, now, zone),
        time=case_time.time_rows(case.attribution),
        **_forecast(sla, zone),
        risk=forecast_risk.case_risk(session, case_id) if articles else None,
    )


def _forecast(sla: SlaOut, zone: tzinfo) -> dict[str, Any]:
    found = sla.breach_forecast
    if found is None:
        return {}
    if found.due_at <= sla.measured_at:
        overdue = f"the {metric_name(found.metric)} is already overdue."
        return {"forecast": overdue, "forecast_css": "due-breach"}
    sentence = clock_words.forecast_sentence(
        probability=found.probability,
        clock=metric_name(found.metric),
        ahead=found.cases_ahead,
        answers=found.expected_answers_before_due,
        due=found.due_at.astimezone(zone).strftime("%a %H:%M"),
        model=found.source == "model",
    )
    return {"forecast": sentence, "forecast_css": clock_words.forecast_class(found.probability)}


def _show(
    request: Request,
    parts: Parts,
    case_id: int,
    *,
    template: str = "case.html",
    error: str | None = None,
    status_code: int = 200,
    done: str | None = None,
    change: tuple[int, int] | None = None,
    message: int | None = None,
) -> Response:
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        try:
            view = load_view(session, parts, case_id, visit, articles=template == "case.html")
        except NotFound as missing:
            return page("notice.html", 404, title="No such case", text=str(missing), visit=visit)
        said = DONE.get(done or "")
        if said is not None and change is not None:
            written = _written(session, case_id, change)
            said = what_it_did(said, written, _names(session, assignees(written)))
    return page(
        template,
        status_code,
        visit=visit,
        view=view,
        case=view.case,
        error=error,
        done=_said(view, said, done, message),
        statuses=STATUSES,
        refresh=round(parts.settings.dashboard_refresh_seconds * 1000),
    )


# An action writes a handful of entries; a longer range in a hand-made link is not read.
MOST_WRITTEN = 50
AuditId = Annotated[int | None, Query(ge=0, le=2**62)]


def _written(session: Session, case_id: int, change: tuple[int, int]) -> list[AuditEntryOut]:
    """The case's audit entries in (after, upto]: what one action wrote."""
    after, upto = change
    if not 0 < upto - after <= MOST_WRITTEN:
        return []
    found = queries.audit(
        session, case_id, after=after, limit=MOST_WRITTEN, scope=visibility.EVERYTHING
    )
    return [entry for entry in found.items if entry.id <= upto]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    done: str | None = None,
    after: AuditId = None,
    upto: AuditId = None,
    message: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """A case: summary, clocks, timeline and actions; after an action (`done`), what it did,
    read from the audit entries it wrote (`after` < id <= `upto`), and where a reply stands."""
    change = None if after is None or upto is None else (after, upto)
    return _show(request, parts, case_id, done=done, change=change, message=message)


@router.get("/cases/{case_id}/live", response_class=HTMLResponse)
def case_live(case_id: CaseId, request: Request, parts: Parts) -> Response:
    """The changing part of the case page (summary, clocks, timeline), for its refresh."""
    return _show(request, parts, case_id, template="case_live.html")


@dataclass(frozen=True, slots=True)
class CasePost:
    """A form posted about one case: the case, the request, the services and the form's CSRF
    token, which every action on the case page takes alike."""

    case_id: int
    request: Request
    parts: Services
    csrf_token: str

    def by(self, visit: Visit) -> By:
        """The person and the current instant, passed on to a use case as `**form.by(visit)`."""
        return by(visit, self.parts)

    def act(self, done: str, action: Callable[[Session, Visit], int | None]) -> Response:
        """Check the session and CSRF token, run `action(session, visit)`, and go back to the
        page (to what it made, when it returns a message's id)."""
        request, parts, case_id = self.request, self.parts, self.case_id
        visit = form_visit(request, parts, self.csrf_token)
        if not isinstance(visit, Visit):
            return visit
        try:
            with parts.database.write() as session:
                before = queries.last_audit_id(session, case_id)
                made = action(session, visit)
                session.flush()
                written = queries.last_audit_id(session, case_id)
        except ValidationError as invalid:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in problem['loc']) or 'form'}: {problem['msg']}"
                for problem in invalid.errors()
            )
            return _show(request, parts, case_id, error=problems, status_code=422)
        except EscalonError as error:
            text = str(error)
            if error.status in (409, 412):
                text += " The page now shows the case as it stands; check it and try again."
            return _show(request, parts, case_id, error=text, status_code=error.status)
        shown = f"&message={made}" if made is not None else ""
        return redirect(f"/ui/cases/{case_id}?done={done}&after={before}&upto={written}{shown}")


def _case_post(case_id: CaseId, request: Request, parts: Parts, csrf_token: Csrf = "") -> CasePost:
    """The case, request, services and CSRF token every case form posts (a FastAPI dependency)."""
    return CasePost(case_id, request, parts, csrf_token)


CaseForm = Annotated[CasePost, Depends(_case_post)]
# A form's text fields: a name (a kind, a priority, a handle), a line, an amount, a reason, a note.
Name = Annotated[str, Form(max_length=100)]
Line = Annotated[str, Form(max_length=200)]
Amount = Annotated[str, Form(max_length=40)]
Reason = Annotated[str, Form(max_length=2000)]
Note = Annotated[str, Form(max_length=10_000)]


@router.post("/cases/{case_id}/messages", response_class=HTMLResponse)
def post_message(
    form: CaseForm,
    body: Annotated[str, Form(max_length=100_000)] = "",
    kind: Annotated[Literal["reply", "note"], Form()] = "reply",
    reply_token: Annotated[str, Form(max_length=100)] = "",
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies defaults)
    articles: Annotated[list[str], Form()] = [],  # noqa: B006 (checked by MessageIn: 3 at most)
    time_spent_minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Reply to the customer (queued for their channel), or add an internal note; with files
    and the minutes the person spent on it."""
    # A file input left empty still sends one part, nameless and empty.
    chosen = [file for file in files if file.filename]
    attached = [
        replies.ReplyFile(
            file.filename or "", file.content_type or "", file.file.read(MAX_READ + 1)
        )
        for file in chosen[: replies.MAX_ATTACHMENTS + 1]
    ]

    def run(session: Session, visit: Visit) -> int:
        message = MessageIn(
            author="agent",
            body=body,
            public=kind == "reply",
            articles=articles,
            time_spent_seconds=_minutes_as_seconds(time_spent_minutes),
        )
        return messages.post_message(
            session,
            case_id=form.case_id,
            request=message,
            analyzer=form.parts.analyzer,
            deliver=True,
            request_key=f"form|{reply_token}" if reply_token else None,
            files=attached,
            **form.by(visit),
        )

    return form.act(kind, run)


def _minutes_as_seconds(text: str) -> int | None:
    """The form's minutes (blank: not given); Invalid when they are not whole minutes."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_TIME_SPENT_SECONDS // 60:
        raise Invalid(
            f"time spent is whole minutes from 0 to {MAX_TIME_SPENT_SECONDS // 60}, not {text!r}"
        )
    return int(text) * 60


@router.post("/cases/{case_id}/escalate", response_class=HTMLResponse)
def escalate(
    form: CaseForm, target: Line = "", reason: Reason = "", version: Version = None
) -> Response:
    """Escalate up to a level (`level:NAME`) or across to a team (`team:NAME`), with a reason."""
    kind, _, name = target.partition(":")

    def run(session: Session, visit: Visit) -> None:
        if kind == "team":
            wanted = EscalateIn(kind="functional", to_team=name, reason=reason)
        else:
            wanted = EscalateIn(kind="hierarchical", to_level=name or None, reason=reason)
        escalation.escalate_case(
            session, case_id=form.case_id, request=wanted, if_match=version, **form.by(visit)
        )

    return form.act("route" if kind == "team" else "escalate", run)


@router.post("/cases/{case_id}/acknowledgement", response_class=HTMLResponse)
def acknowledge(form: CaseForm) -> Response:
    """Acknowledge the escalation: the case is yours."""

    def run(session: Session, visit: Visit) -> None:
        escalation.acknowledge(session, case_id=form.case_id, if_match=None, **form.by(visit))

    return form.act("acknowledge", run)


@router.post("/cases/{case_id}/de-escalation", response_class=HTMLResponse)
def de_escalate(
    form: CaseForm,
    to_level: Line = "",
    note: Note = "",
    lesson: LessonText = "",
    version: Version = None,
) -> Response:
    """Return the case to a lower level with a hand-over note (supervisors), and perhaps a
    lesson: what would have prevented the escalation."""

    def run(session: Session, visit: Visit) -> None:
        if not visit.supervises:
            raise Forbidden("only supervisors and admins return a case to a lower level")
        wanted = DeEscalateIn(to_level=to_level, note=note)
        escalation.de_escalate(
            session, case_id=form.case_id, request=wanted, if_match=version, **form.by(visit)
        )
        _learn(session, visit, form.case_id, lesson, "de-escalated")

    return form.act("de-escalate", run)


@router.post("/cases/{case_id}/approvals", response_class=HTMLResponse)
def request_approval(
    form: CaseForm, kind: Name = "", amount: Amount = "", note: Note = ""
) -> Response:
    """Ask to grant an amount: granted within your authority, else it waits for a decider."""

    def run(session: Session, visit: Visit) -> None:
        try:
            value = float(amount.replace(",", "").strip())
        except ValueError:
            raise Invalid(f"the amount must be a number, not {amount!r}") from None
        wanted = ApprovalIn(kind=kind, amount=value, note=note)
        approvals.request_approval(
            session, case_id=form.case_id, request=wanted, if_match=None, **form.by(visit)
        )

    return form.act("approval", run)


@router.post("/cases/{case_id}/approvals/{approval_id}/decision", response_class=HTMLResponse)
def decide_approval(
    form: CaseForm,
    approval_id: ApprovalId,
    decision: Annotated[Literal["approve", "reject"], Form()] = "approve",
    note: Note = "",
) -> Response:
    """Approve or reject a pending request on this case (supervisors)."""

    def run(session: Session, visit: Visit) -> None:
        _on_case(session, form, visit, approval_id)
        wanted = ApprovalDecisionIn(decision=decision, note=note)
        approvals.decide_approval(
            session, approval_id=approval_id, request=wanted, **form.by(visit)
        )

    return form.act("decision", run)


@router.post("/cases/{case_id}/approvals/{approval_id}/withdrawal", response_class=HTMLResponse)
def withdraw_approval(form: CaseForm, approval_id: ApprovalId) -> Response:
    """Take back your own pending approval request."""

    def run(session: Session, visit: Visit) -> None:
        _on_case(session, form, visit, approval_id)
        approvals.withdraw_approval(session, approval_id=approval_id, **form.by(visit))

    return form.act("withdrawal", run)


def _on_case(session: Session, form: CasePost, visit: Visit, approval_id: int) -> None:
    """NotFound unless the approval request is one of this case's, and the case is the
    person's to see (a form names both; they must agree)."""
    scope = scope_of(session, visit, form.parts)
    if queries.get_approval(session, approval_id, scope=scope).case_id != form.case_id:
        raise NotFound(f"approval request {approval_id} is not on case {form.case_id}")


@router.post("/cases/{case_id}/update", response_class=HTMLResponse)
def update_case(
    form: CaseForm,
    status: Annotated[str, Form(max_length=40)] = "",
    priority: Name = "",
    category: Name = "",
    version: Version = None,
) -> Response:
    """Change the status, the priority or the category (only what differs from the case's)."""

    def run(session: Session, visit: Visit) -> None:
        scope = scope_of(session, visit, form.parts)
        current = queries.get_case(session, form.case_id, scope=scope)
        fields: dict[str, str] = {}
        if status and status != current.status:
            fields["status"] = status
        if priority and priority != current.priority:
            fields["priority"] = priority
        if category.strip() and category.strip() != current.category:
            fields["category"] = category.strip()  # a person's choice, recorded as such
        if not fields:
            raise Invalid("nothing changed: pick another status, priority or category")
        wanted = CasePatch.model_validate(fields)
        updating.update_case(
            session, case_id=form.case_id, request=wanted, if_match=version, **form.by(visit)
        )

    return form.act("update", run)


LessonText = Annotated[str, Form(max_length=lessons.MAX_LESSON)]


def _learn(session: Session, visit: Visit, case_id: int, text: str, moment: Moment) -> None:
    """Keep the lesson a form gave (nothing when left empty)."""
    if text.strip():
        lessons.add_lesson(
            session,
            case_id=case_id,
            text=text,
            actor=visit.actor,
            now=visit.at,
            moment=moment,
        )


@router.post("/cases/{case_id}/resolve", response_class=HTMLResponse)
def resolve(
    form: CaseForm,
    root_cause: Line = "",
    root_cause_code: Line = "",
    lesson: LessonText = "",
    version: Version = None,
) -> Response:
    """Resolve the case, naming its root cause (the numbers page counts them): one of the
    policy's codes, or "other" in words, when it lists codes; words otherwise. An escalated
    case's form also invites a lesson: what would have prevented it."""

    def run(session: Session, visit: Visit) -> None:
        code, words = root_cause_code.strip() or None, root_cause.strip() or None
        if code is None and words is None:
            raise Invalid("name the root cause: what caused the customer's problem")
        wanted = CasePatch(status="resolved", root_cause=words, root_cause_code=code)
        updating.update_case(
            session, case_id=form.case_id, request=wanted, if_match=version, **form.by(visit)
        )
        _learn(session, visit, form.case_id, lesson, "resolved")

    return form.act("resolve", run)


@router.post("/cases/{case_id}/kudos", response_class=HTMLResponse)
def give_kudos(form: CaseForm, person: Line = "", note: Note = "") -> Response:
    """Thank someone who handled the case."""

    def run(session: Session, visit: Visit) -> None:
        try:
            wanted = KudosIn(case_id=form.case_id, person=person, note=note[: kudos.MAX_NOTE])
        except ValidationError:
            raise Invalid("choose whom to thank") from None
        kudos.give(
            session,
            wanted,
            actor=visit.actor,
            now=visit.at,
            scope=scope_of(session, visit, form.parts),
        )

    return form.act("kudos", run)


@router.post("/cases/{case_id}/take", response_class=HTMLResponse)
def take(form: CaseForm) -> Response:
    """Assign the case to yourself."""

    def run(session: Session, visit: Visit) -> None:
        agent = visit.principal.agent
        if agent is None:
            raise Invalid("your user is not linked to an agent, so no case can be yours")
        updating.assign_case(
            session, case_id=form.case_id, assignee=agent, if_match=None, **form.by(visit)
        )

    return form.act("take", run)


@router.get("/cases/{case_id}/attachments/{attachment_id}")
def attachment(
    case_id: CaseId,
    attachment_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    parts: Parts,
) -> Response:
    """A file kept with one of the case's messages, for staff who may see the case: always a
    download, never shown in the page (its declared type is not trusted)."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        missing = page("notice.html", 404, title="No such file", text="No such file.", visit=visit)
        if visit.principal.role not in STAFF:
            return missing
        try:
            visibility.require(session, scope_of(session, visit, parts), case_id)
        except NotFound:
            return missing
        found = session.execute(
            select(Attachment.filename, Attachment.data).where(
                Attachment.id == attachment_id, Attachment.case_id == case_id
            )
        ).first()
    if found is None:
        return missing
    filename, data = found
    return Response(
        bytes(data),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/cases/{case_id}/assign", response_class=HTMLResponse)
def assign(form: CaseForm, assignee: Name = "", version: Version = None) -> Response:
    """Hand the case to a named person, or back to its team's queue (no one chosen)."""

    def run(session: Session, visit: Visit) -> None:
        chosen = assignee.strip() or None
        updating.assign_case(
            session, case_id=form.case_id, assignee=chosen, if_match=version, **form.by(visit)
        )

    return form.act("assign", run)
