"""The dashboard's pages: sign-in, sign-out and the case queues.

Views only translate HTTP to queries and back: the queue is `escalon.cases.queries.list_cases`,
the same as `GET /api/v1/cases`, so the page and the API agree. Not part of the OpenAPI schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.analytics import causes as root_causes
from escalon.auth import service as auth
from escalon.auth import sessions
from escalon.auth.access import STAFF
from escalon.cases import acknowledging, assigning, escalation, queries, visibility
from escalon.cases.acting import Actor
from escalon.cases.models import Case, Escalation
from escalon.cases.schemas import CaseOut
from escalon.core.state import CLOCK_METRICS, to_us
from escalon.errors import EscalonError, Invalid, Unauthenticated
from escalon.forecast import breach as breach_forecast
from escalon.learning import topic_runs
from escalon.notifications import replies
from escalon.people import presence
from escalon.people.models import Agent, Team
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion
from escalon.ratelimits.edge import limits_of, public_page
from escalon.web import session as ui
from escalon.web.access import acting, by, scope_of
from escalon.web.clocks import forecast_class, share
from escalon.web.common import (
    OPEN_STATUSES,
    QUEUE,
    SIGN_IN,
    STATUSES,
    WARNING_US,
    Parts,
    Text,
    Visit,
    countdown,
    csrf_failed,
    delete_cookie,
    duration,
    forbidden,
    form_visit,
    page,
    redirect,
    set_cookie,
    visit_of,
)

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE_SIZE = 100


def _refresh_ms(parts: Parts) -> int:
    return round(parts.settings.dashboard_refresh_seconds * 1000)


# -- signing in and out --------------------------------------------------------------------------


def _sign_in_form(
    request: Request, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    nonce = ui.new_nonce()
    response = page(
        "sign_in.html",
        status_code,
        visit=None,
        error=error,
        csrf=ui.csrf_token(nonce),
    )
    set_cookie(request, response, ui.SIGN_IN_COOKIE, nonce, ui.SIGN_IN_MAX_AGE_SECONDS)
    return response


@router.get("", response_class=HTMLResponse)
def home() -> Response:
    """The dashboard's front door: the queue."""
    return redirect(QUEUE)


@router.get("/sign-in", response_class=HTMLResponse, dependencies=[Depends(public_page)])
def sign_in_page(request: Request, parts: Parts) -> Response:
    """The sign-in form (or the queue, for someone already signed in)."""
    with parts.database.read() as session:
        if visit_of(request, session, parts) is not None:
            return redirect(QUEUE)
    return _sign_in_form(request)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    parts: Parts,
    token: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the pasted API token; a new session (a row, and its secret in the cookie)."""
    now = parts.clock.now_us()
    if not ui.csrf_ok(request.cookies.get(ui.SIGN_IN_COOKIE), csrf_token, now=now):
        return csrf_failed()
    token = token.strip()
    with parts.database.read() as session:
        try:
            # Failures count per client address; too many of them: 429 before any checking.
            with limits_of(request).sign_in_attempt(request):
                if not token:
                    raise Unauthenticated("paste an API token")
                # Straight from the database, not the token cache: a session outlives the cache.
                principal = auth.authenticate(session, token, now=now, cache_seconds=0)
        except Unauthenticated as error:
            return _sign_in_form(
                request, error=f"That token was not accepted: {error}.", status_code=401
            )
    if principal.role not in STAFF:
        return _sign_in_form(
            request,
            error="Integration tokens are for programs; sign in with a person's token.",
            status_code=403,
        )
    lifetime = round(parts.settings.session_hours * 3600 * 1_000_000)
    with parts.database.write() as session:
        row, secret = sessions.start(
            session,
            user_id=principal.user_id,
            token_id=principal.token_id,
            token_expires_at=principal.token_expires_at,
            now=now,
            lifetime_us=lifetime,
        )
        age = max(1, (row.expires_at - now) // 1_000_000)
    response = redirect(QUEUE)
    set_cookie(request, response, ui.COOKIE, secret, age)
    delete_cookie(request, response, ui.SIGN_IN_COOKIE)
    return response


@router.post("/sign-out", response_class=HTMLResponse)
def sign_out(
    request: Request,
    parts: Parts,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End the session: its row is marked ended, so the cookie opens nothing any more (the API
    token itself stays valid)."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
    if visit is None:
        response = redirect(SIGN_IN)
        delete_cookie(request, response, ui.COOKIE)
        return response
    if not visit.csrf_ok(csrf_token):
        return csrf_failed()
    with parts.database.write() as session:
        sessions.end(session, session_id=visit.session.id, now=visit.at, reason="signed_out")
    response = redirect(SIGN_IN)
    delete_cookie(request, response, ui.COOKIE)
    return response


# -- the queues ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One case as a queue row shows it."""

    case: CaseOut
    due: str
    due_class: str
    undelivered: str | None = None  # why a reply on the case could not reach the customer
    risk: str = ""  # the breach forecast of its nearest clock, as a share
    risk_class: str = ""


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """Who handles the cases, which clock is due first, acknowledgement, words: from the URL."""

    assignee: str = ""
    unassigned: bool = False
    due: str = ""
    awaiting: bool = False
    q: str = ""
    # What a figure of the numbers page or the review counted (its link leads here).
    cause: str = ""
    cause_label: str = ""  # what the active policy calls the cause
    escalated: bool = False
    holder: str = ""  # a person: the cases that escalated while they held them
    rule: str = ""  # the cases a rule escalated
    level: str = ""  # the cases escalated to a level
    moved: DayRange | None = None  # the days those escalations happened
    opened: DayRange | None = None
    resolved: DayRange | None = None
    topic: int | None = None  # a recurring topic of a stored run (the numbers page's links)
    topic_name: str = ""  # its distinctive words

    def shown(self) -> dict[str, str]:
        """As URL parameters."""
        return {
            "assignee": self.assignee,
            "unassigned": "1" if self.unassigned else "",
            "due": self.due,
            "ack": "1" if self.awaiting else "",
            "q": self.q,
            **self.counted(),
        }

    def counted(self) -> dict[str, str]:
        """The parameters a figure's link sets (kept as hidden fields when filtering on)."""
        found = {
            "cause": self.cause,
            "escalated": "1" if self.escalated else "",
            "holder": self.holder,
            "rule": self.rule,
            "reached": self.level,
            "topic": "" if self.topic is None else str(self.topic),
        }
        for name, days in (
            ("opened", self.opened),
            ("resolved", self.resolved),
            ("escalation", self.moved),
        ):
            if days is not None:
                found[f"{name}_from"], found[f"{name}_to"] = days.first, days.last
        return {name: value for name, value in found.items() if value}

    def case_filters(
        self,
        *,
        status: list[str] | None,
        priority: list[str] | None,
        level: list[str] | None,
        team: list[str] | None,
        assignee: str | None,
    ) -> queries.CaseFilters:
        """The case list's filters: the page's own (status, priority...) and the URL's."""
        return queries.CaseFilters(
            status=status,
            priority=priority,
            level=level,
            team=team,
            assignee=assignee,
            unassigned=True if self.unassigned else None,
            awaiting_acknowledgement=True if self.awaiting else None,
            due=[self.due] if self.due else None,
            q=self.q or None,
            root_cause=[self.cause] if self.cause else None,
            escalated=True if self.escalated else None,
            escalation=self.escalation(),
            opened_after=None if self.opened is None else self.opened.since,
            opened_before=None if self.opened is None else self.opened.until,
            resolved_after=None if self.resolved is None else self.resolved.since,
            resolved_before=None if self.resolved is None else self.resolved.until,
            topic=None if self.topic is None else [self.topic],
        )

    def escalation(self) -> queries.EscalationFilter | None:
        """The escalation a listed case must have, when the link names one."""
        if not (self.holder or self.rule or self.level or self.moved):
            return None
        return queries.EscalationFilter(
            holder=self.holder or None,
            rule=self.rule or None,
            level=self.level or None,
            after=None if self.moved is None else self.moved.since,
            before=None if self.moved is None else self.moved.until,
        )

    def described(self) -> str:
        """What a figure's link narrowed the list to, in words ("" when nothing)."""
        words = []
        if self.escalated:
            words.append("escalated")
        if self.holder:
            words.append(f"escalated while {self.holder} held them")
        if self.rule:
            words.append(f"escalated by rule {self.rule!r}")
        if self.level:
            words.append(f"escalated to {self.level}")
        if self.moved is not None:
            words.append(f"escalating {self.moved.first} to {self.moved.last}")
        if self.cause:
            words.append(f"with root cause {self.cause_label or self.cause}")
        if self.topic is not None:
            words.append(f"in the recurring topic “{self.topic_name}”")
        if self.opened is not None:
            words.append(f"opened {self.opened.first} to {self.opened.last}")
        if self.resolved is not None:
            words.append(f"resolved {self.resolved.first} to {self.resolved.last}")
        return ", ".join(words)

    @property
    def narrow(self) -> bool:
        """Whether any is set: then the page shows every case in sight that matches, not only
        the person's own."""
        return any(self.shown().values())


@dataclass(frozen=True, slots=True)
class DayRange:
    """Whole UTC days, first to last (both included), as a link names them."""

    first: str
    last: str

    @property
    def since(self) -> int:
        """The first day's first instant."""
        return to_us(datetime.fromisoformat(self.first).replace(tzinfo=UTC))

    @property
    def until(self) -> int:
        """The instant after the last day."""
        return to_us(datetime.fromisoformat(self.last).replace(tzinfo=UTC) + timedelta(days=1))


def day_range(name: str, first: str | None, last: str | None) -> DayRange | None:
    """`NAME_from` and `NAME_to` as days; Invalid says what is wrong with them."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first and not last:
        return None
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise Invalid(
            f"{name}_from and {name}_to are days such as 2026-11-30, both given"
        ) from None
    if end < start:
        raise Invalid(f"{name}_to ({last}) comes before {name}_from ({first})")
    return DayRange(start.isoformat(), end.isoformat())


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue page's content."""

    title: str
    rows: list[Row]
    next_cursor: str | None
    my_teams: list[str]
    all_teams: list[str]
    team: str
    status: str
    priority: str
    level: str
    priorities: list[str]
    levels: list[str]
    filters: QueueFilters = field(default_factory=QueueFilters)
    # Whom cases may be given to (supervisors' bulk assignment and the assignee filter).
    people: tuple[presence.Person, ...] = ()
    bulk: bool = False

    @property
    def query(self) -> str:
        """The page's filters as a query string (for the next page's link)."""
        shown = {
            "team": self.team,
            "status": self.status,
            "priority": self.priority,
            "level": self.level,
            **self.filters.shown(),
        }
        return urlencode({name: value for name, value in shown.items() if value})


def _flag(name: str, value: str | None) -> bool:
    value = (value or "").strip()
    if value not in ("", "1", "true", "on"):
        raise Invalid(f"{name} is 1 or left out, not {value!r}")
    return bool(value)


def queue_filters(session: Session, asked: QueueAsk) -> QueueFilters:
    """The URL's filters, checked: Invalid (400) says which one is wrong and why."""
    handle = (asked.assignee or "").strip()
    due = (asked.due or "").strip()
    found = QueueFilters(
        assignee=handle,
        unassigned=_flag("unassigned", asked.unassigned),
        due=due,
        awaiting=_flag("ack", asked.ack),
        q=(asked.q or "").strip(),
        cause=(cause := (asked.cause or "").strip()[:200]),
        cause_label=_cause_label(session, cause),
        escalated=_flag("escalated", asked.escalated),
        holder=(asked.holder or "").strip()[:100],
        rule=(asked.rule or "").strip()[:500],
        level=(asked.reached or "").strip()[:100],
        moved=day_range("escalation", asked.escalation_from, asked.escalation_to),
        opened=day_range("opened", asked.opened_from, asked.opened_to),
        resolved=day_range("resolved", asked.resolved_from, asked.resolved_to),
        **_topic(session, asked.topic),
    )
    if found.assignee and found.unassigned:
        raise Invalid("choose either an assignee or unassigned cases, not both")
    if due and due not in CLOCK_METRICS:
        raise Invalid(f"due names a clock: one of {', '.join(CLOCK_METRICS)}, not {due!r}")
    if handle and session.scalar(select(Agent.id).where(Agent.handle == handle)) is None:
        raise Invalid(f"no agent has the handle {handle!r}")
    return found


def _topic(session: Session, asked: str | None) -> dict[str, Any]:
    """A topic's id and name from the URL; Invalid when it is not a topic of a kept run."""
    text = (asked or "").strip()
    if not text:
        return {}
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 2**62:
        raise Invalid(f"topic is the number of a topic on the numbers page, not {text[:40]}")
    name = topic_runs.topic_name(session, int(text))
    if name is None:
        raise Invalid(
            f"no stored topic {text}: a newer topic run replaced it; open the numbers page again"
        )
    return {"topic": int(text), "topic_name": name}


def _cause_label(session: Session, cause: str) -> str:
    """What the active policy calls a root-cause code ("" for words, or without a policy)."""
    if not cause:
        return ""
    return root_causes.labels(session).get(cause, "")


def _policy_names(session: Session) -> tuple[list[str], list[str]]:
    """The active policy's priorities and levels, for the filters' choices."""
    found = session.execute(
        select(PolicyVersion.id, PolicyVersion.fingerprint).where(PolicyVersion.active)
    ).first()
    if found is None:
        return [], []
    policy = policies.compiled(session, found[0], found[1])
    return list(policy.priorities), [level.name for level in policy.levels]


def _agent_teams(session: Session, handle: str | None) -> list[str]:
    if handle is None:
        return []
    agent = session.scalars(select(Agent).where(Agent.handle == handle)).first()
    return [] if agent is None else [team.name for team in agent.teams]


def _one(value: str | None) -> list[str] | None:
    value = (value or "").strip()
    return [value] if value else None


def _queue(
    session: Session,
    principal: auth.Principal,
    now: int,
    *,
    scope: visibility.Scope,
    team: str | None,
    status: str | None,
    priority: str | None,
    level: str | None,
    cursor: str | None,
    wanted: QueueFilters = QueueFilters(),
    with_people: bool = True,
) -> Queue | HTMLResponse:
    team = (team or "").strip()
    status = (status or "").strip()
    my_teams = _agent_teams(session, principal.agent)
    supervisor = principal.role in ("admin", "supervisor")
    all_teams = list(session.scalars(select(Team.name).order_by(Team.name))) if supervisor else []
    if not scope.everything:  # only the teams whose cases they may see are worth offering
        all_teams = [name for name in all_teams if name in scope.teams]
    if team and not supervisor and team not in my_teams:
        return forbidden(f"You may see the queues of your own teams only, not {team!r}.")
    if wanted.holder and not supervisor and wanted.holder != principal.agent:
        # Who escalates what is coaching: supervisors and managers see it, not peers.
        return forbidden("Only supervisors and managers see what another person escalated.")
    if status and status != "any" and status not in STATUSES:
        status = ""
    mine = principal.agent if not team and principal.agent and not wanted.narrow else None
    filters = wanted.case_filters(
        status=None if status == "any" else ([status] if status else list(OPEN_STATUSES)),
        priority=_one(priority),
        level=_one(level),
        team=[team] if team else None,
        assignee=wanted.assignee or mine,
    )
    title = _title(team, wanted, principal.agent)
    page = queries.list_cases(
        session, filters, sort="due", limit=PAGE_SIZE, cursor=cursor or None, scope=scope
    )
    rows = []
    listed = [case.id for case in page.items]
    failed = replies.undelivered(session, listed)
    forecasts = breach_forecast.forecasts_of(session, listed, now)
    for case in page.items:
        due_us = None if case.due_at is None else to_us(case.due_at)
        warning_us = None if case.warning_at is None else to_us(case.warning_at)
        text, css = countdown(due_us, now, warning_us)
        found = forecasts.get(case.id)
        risk = "" if found is None else share(found.probability)
        risk_css = "" if found is None else forecast_class(found.probability)
        rows.append(Row(case, text, css, failed.get(case.id), risk, risk_css))
    priorities, levels = _policy_names(session)
    return Queue(
        title,
        rows,
        page.next_cursor,
        my_teams,
        all_teams,
        team,
        status,
        (priority or "").strip(),
        (level or "").strip(),
        priorities,
        levels,
        wanted,
        # The assignment pickers' people: on the page, not on its rows' every refresh.
        tuple(presence.people(session, now=now, team=team or None))
        if supervisor and with_people
        else (),
        supervisor,
    )


def _title(team: str, wanted: QueueFilters, agent: str | None) -> str:
    """What a queue page is called, from what it lists."""
    if team:
        return f"Team queue: {team}"
    if wanted.unassigned:
        return "Unassigned cases"
    if wanted.assignee:
        return f"Cases of {wanted.assignee}"
    if wanted.described():
        return "Cases behind a figure"
    if wanted.narrow:
        return "Cases found"
    return "My queue" if agent else "All teams"


def _queue_response(
    request: Request, parts: Parts, template: str, asked: QueueAsk, cursor: str | None
) -> Response:
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        try:
            queue = _queue(
                session,
                visit.principal,
                parts.clock.now_us(),
                scope=scope_of(session, visit, parts),
                team=asked.team,
                status=asked.status,
                priority=asked.priority,
                level=asked.level,
                cursor=cursor,
                with_people=template == "queue.html",
                wanted=queue_filters(session, asked),
            )
        except EscalonError as error:
            return page(
                "notice.html", 400, title="Cannot show this queue", text=str(error), visit=visit
            )
    if isinstance(queue, HTMLResponse):
        return queue
    return page(
        template,
        visit=visit,
        queue=queue,
        statuses=STATUSES,
        clocks=CLOCK_METRICS,
        refresh=_refresh_ms(parts),
    )


@dataclass(frozen=True, slots=True)
class QueueAsk:
    """A queue's parameters as the URL gives them (checked by `_queue` and `queue_filters`)."""

    team: Text = None
    status: Text = None
    priority: Text = None
    level: Text = None
    assignee: Text = None
    unassigned: Text = None
    due: Text = None
    ack: Text = None
    q: Text = None
    cause: Text = None
    escalated: Text = None
    holder: Text = None
    rule: Text = None
    reached: Text = None
    escalation_from: Text = None
    escalation_to: Text = None
    opened_from: Text = None
    opened_to: Text = None
    resolved_from: Text = None
    resolved_to: Text = None
    topic: Text = None


Asked = Annotated[QueueAsk, Depends()]
Cursor = Annotated[str | None, Query(max_length=500)]


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, parts: Parts, asked: Asked, cursor: Cursor = None) -> Response:
    """My queue (no team), or a team's queue: open cases, soonest due first; filtered by whose
    they are, which clock is due first, acknowledgement and words (all in the URL)."""
    return _queue_response(request, parts, "queue.html", asked, cursor)


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, parts: Parts, asked: Asked, cursor: Cursor = None) -> Response:
    """The queue table's body alone, for the page's periodic refresh."""
    return _queue_response(request, parts, "rows.html", asked, cursor)


@router.post("/queue/assign", response_class=HTMLResponse)
def assign_selected(
    request: Request,
    parts: Parts,
    case_id: Annotated[list[int], Form(max_length=assigning.MAX_CASES)] = [],  # noqa: B006
    assignee: Annotated[str, Form(max_length=100)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Give the selected cases to one person at once; says what became of each."""
    visit = form_visit(request, parts, csrf_token)
    if not isinstance(visit, Visit):
        return visit
    # Only back to a queue of this dashboard, never to an address a form could name.
    back = back if back.startswith(QUEUE) and "//" not in back else QUEUE
    if not case_id:
        return page(
            "assigned.html", 400, visit=visit, results=[], back=back, error="Select cases first."
        )
    try:
        with parts.database.write() as session:
            results = assigning.assign_many(
                session, case_ids=case_id, assignee=assignee.strip() or None, **by(visit, parts)
            )
    except EscalonError as error:
        return page(
            "assigned.html", error.status, visit=visit, results=[], back=back, error=str(error)
        )
    return page(
        "assigned.html",
        visit=visit,
        results=results,
        back=back,
        assignee=assignee.strip() or None,
        error=None,
    )


# -- the escalations board -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """An escalation waiting for acknowledgement, as the board shows it."""

    case: CaseOut
    escalated_at: int | None
    waited: str
    waited_class: str
    may_acknowledge: bool
    undelivered: str | None = None  # why a reply on the case could not reach the customer


def _waiting(
    session: Session, actor: Actor, now: int, scope: visibility.Scope
) -> dict[str, list[Waiting]]:
    """Cases in `scope` waiting for acknowledgement, by level (top level first), longest waiting
    first."""
    page = queries.list_cases(
        session,
        queries.CaseFilters(awaiting_acknowledgement=True, status=list(OPEN_STATUSES)),
        sort="due",
        limit=500,
        cursor=None,
        scope=scope,
    )
    ids = [case.id for case in page.items]
    since: dict[int, int] = {}
    ranks: dict[int, int] = {}
    if ids:
        ranks = {
            int(case_id): int(rank)
            for case_id, rank in session.execute(
                select(Case.id, Case.level_rank).where(Case.id.in_(ids))
            ).all()
        }
        since = {
            int(case_id): int(at)
            for case_id, at in session.execute(
                select(Escalation.case_id, func.max(Escalation.at))
                .where(Escalation.case_id.in_(ids), Escalation.action == "escalate")
                .group_by(Escalation.case_id)
            ).all()
        }
    # The acknowledge flow's own rule, read once for the whole board.
    acknowledger = acknowledging.acknowledger(session, actor)
    board: dict[str, list[Waiting]] = {}
    failed = replies.undelivered(session, ids)
    for case in page.items:
        at = since.get(case.id)
        waited = now - at if at is not None else 0
        css = "due-breach" if waited >= WARNING_US else "due-warning" if waited > 0 else ""
        allowed = acknowledger.refusal(case.level, case.team) is None
        board.setdefault(case.level, []).append(
            Waiting(
                case,
                at,
                duration(waited) if at is not None else "—",
                css,
                allowed,
                failed.get(case.id),
            )
        )
    for items in board.values():
        items.sort(key=lambda item: item.escalated_at or now)
    # The highest level first: what waits there has waited through every level below.
    return dict(sorted(board.items(), key=lambda entry: -ranks.get(entry[1][0].case.id, 0)))


@router.get("/escalations", response_class=HTMLResponse)
def escalations_board(request: Request, parts: Parts) -> Response:
    """Open escalations by level: who must acknowledge and how long each has waited."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        board = _waiting(
            session, acting(visit, parts), parts.clock.now_us(), scope_of(session, visit, parts)
        )
    return page("escalations.html", visit=visit, board=board, refresh=_refresh_ms(parts))


@router.post("/cases/{case_id}/acknowledge", response_class=HTMLResponse)
def acknowledge_case(
    case_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    parts: Parts,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Acknowledge a case's escalation in one click; back to the board."""
    visit = form_visit(request, parts, csrf_token)
    if not isinstance(visit, Visit):
        return visit
    try:
        with parts.database.write() as session:
            escalation.acknowledge(session, case_id=case_id, if_match=None, **by(visit, parts))
    except EscalonError as error:
        return page(
            "notice.html",
            error.status,
            title=f"Case #{case_id} was not acknowledged",
            text=str(error),
            visit=visit,
        )
    return redirect("/ui/escalations")
