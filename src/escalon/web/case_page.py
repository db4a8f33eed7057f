"""The case page: a case's whole timeline, its clocks, and every action an agent takes on it.

Every form posts to a small view that calls the same flow as the API (`escalon.cases.flows`),
then sends the browser back to the page (post/redirect/get). Forms that change the case's state
carry the version the person saw, so a change made meanwhile by someone else (or by the engine)
is refused instead of overwritten; replies and notes never need it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases import flows, queries, visibility
from escalon.cases.models import Case
from escalon.cases.schemas import (
    ApprovalDecisionIn,
    ApprovalIn,
    ApprovalOut,
    AuditEntryOut,
    CaseOut,
    CasePatch,
    DeEscalateIn,
    EscalateIn,
    MessageIn,
    MessageOut,
    SlaOut,
)
from escalon.channels import links
from escalon.core.policy import Policy
from escalon.core.state import from_us, to_us
from escalon.core.text import one_line
from escalon.errors import EscalonError, Forbidden, Invalid, NotFound
from escalon.people import presence
from escalon.people.models import Agent
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion
from escalon.web.access import acting, scope_of
from escalon.web.common import (
    SIGN_IN,
    STATUSES,
    Parts,
    Visit,
    countdown,
    duration,
    form_visit,
    page,
    redirect,
    visit_of,
)

router = APIRouter(prefix="/ui", include_in_schema=False)
CaseId = Annotated[int, Path(ge=1, le=2**62)]
Csrf = Annotated[str, Form(max_length=200)]
Version = Annotated[int | None, Form(ge=1, le=2**62)]
US = 1_000_000

# What the page says after a form did its work; the query string names one, never free text.
DONE = {
    "reply": "Your reply was sent to the customer.",
    "note": "Your internal note was added.",
    "escalate": "The case was escalated.",
    "route": "The case was handed to the other team.",
    "acknowledge": "You acknowledged the escalation; the case is yours.",
    "de-escalate": "The case went back down with your hand-over note.",
    "approval": "The approval request was recorded.",
    "decision": "Your decision on the approval was recorded.",
    "withdrawal": "Your approval request was withdrawn.",
    "update": "The case was updated.",
    "resolve": "The case was resolved.",
    "take": "The case is assigned to you.",
    "assign": "The case was handed over as you chose.",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline: when, who, what happened, and a message's text when it is one."""

    at: str
    at_iso: str
    who: str
    what: str
    kind: str  # a CSS hook: customer, reply, note, escalation, sla, system
    body: str | None = None
    channel: str | None = None


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


@dataclass(frozen=True, slots=True)
class Choices:
    """What the forms may offer for this case under its policy."""

    levels_above: list[str]
    levels_below: list[str]
    teams: list[str]
    priorities: list[str]
    authority_kinds: list[str]
    root_causes: list[str]


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
    timeline: list[Entry]
    approvals: list[ApprovalView]
    choices: Choices
    status_url: str
    handler: str
    may_acknowledge: bool
    # Whom a supervisor may hand the case to: everyone active, who is here, and their load.
    people: tuple[presence.Person, ...] = ()


def _when(moment_us: int, zone: tzinfo) -> tuple[str, str]:
    moment = from_us(moment_us).astimezone(zone)
    return f"{moment:%a %d %b %H:%M}", moment.isoformat()


def _metric(name: str) -> str:
    return name.replace("_", " ")


def _details(data: dict[str, Any], *skip: str) -> str:
    shown = [
        f"{key.replace('_', ' ')} {value}"
        for key, value in data.items()
        if key not in skip and value not in (None, "", [], {})
    ]
    return "; ".join(shown)


def describe(entry: AuditEntryOut) -> tuple[str, str]:
    """What an audit entry says in words, and its kind for the page's colours."""
    data: dict[str, Any] = dict(entry.data or {})
    kind = entry.kind
    rule = f" (rule {entry.rule})" if entry.rule and entry.rule != "manual" else ""
    if kind == "case.opened":
        return f"Case opened{_suffix(_details(data, 'case', 'at', 'type', 'customer'))}", "system"
    if kind == "status.changed":
        return f"Status set to {str(data.get('status', '?')).replace('_', ' ')}", "system"
    if kind == "case.updated":
        return f"Changed {_details(data, 'case', 'at', 'type', 'agent')}", "system"
    if kind == "case.root_cause":
        return f"Root cause: {data.get('root_cause')}", "system"
    if kind == "case.escalated":
        return f"Escalated to {data.get('to')}: {data.get('reason') or 'no reason given'}", (
            "escalation"
        )
    if kind == "case.routed":
        return f"Handed to team {data.get('team')}: {data.get('reason') or 'no reason'}", (
            "escalation"
        )
    if kind == "case.de-escalated":
        return f"De-escalated to {data.get('to')}", "escalation"
    if kind == "escalation.acknowledged":
        return "Acknowledged the escalation", "escalation"
    if kind == "case.assigned":
        return f"Assigned to {data.get('to') or 'the team queue'}", "system"
    if kind.startswith("approval."):
        return _approval(kind.split(".", 1)[1], data), "approval"
    if kind == "customer.differs":
        return (
            "Intake named the customer with other details; the stored ones were kept "
            f"({_fields(data, 'kept', 'given')})",
            "system",
        )
    if kind == "customer.updated":
        return f"Customer details changed ({_fields(data, 'from', 'to')})", "system"
    if kind == "survey.answered":
        return f"Customer rated the support {data.get('score')}/5", "system"
    if kind.startswith("sla."):
        return f"SLA {_metric(str(data.get('metric', '')))}: {kind[4:]}", "sla"
    if kind == "escalate":
        where = f"{data.get('from_level')} → {data.get('to_level')}"
        return f"Escalated {where}{rule}: {data.get('trigger')}", "escalation"
    if kind == "route":
        return f"Routed to team {data.get('to_team')}{rule}: {data.get('trigger')}", "escalation"
    if kind == "assign":
        who = data.get("assignee") or "nobody available; waits in the queue"
        return f"Assigned to {who}{rule}{_suffix(str(data.get('reason') or ''))}", "system"
    if kind == "notify":
        return f"Notified {_recipients(data)}{rule}", "system"
    if kind == "notify_customer":
        return f"Told the customer ({data.get('template')} message){rule}", "system"
    if kind == "set_priority":
        return f"Priority {data.get('from')} → {data.get('to')}{rule}", "system"
    if kind == "tag":
        return f"Tagged {', '.join(str(t) for t in data.get('tags') or [])}{rule}", "system"
    if kind == "skip_level":
        return f"Skipped level {data.get('level')}: nobody present{rule}", "escalation"
    return f"{kind.replace('_', ' ')}{rule}{_suffix(_details(data, 'trigger'))}", "system"


def _approval(verb: str, data: dict[str, Any]) -> str:
    """An approval entry in words: what, how much, and by which authority."""
    amount = data.get("amount")
    what = (
        f"Approval {verb}: {data.get('kind')} {amount:g}"
        if isinstance(amount, int | float)
        else f"Approval {verb}"
    )
    held, basis = data.get("authority"), data.get("basis")
    if basis is None:
        return what
    shown = f"{held:g}" if isinstance(held, int | float) else str(held)
    return f"{what} (authority {shown}, {basis})"


def _fields(data: dict[str, Any], first: str, second: str) -> str:
    """Customer fields in words: `email from a@x to b@y`, or `email kept a@x, given b@y`."""
    joiner = " " if first == "from" else ", "
    return "; ".join(
        f"{name} {first} {value.get(first) or '—'}{joiner}{second} {value.get(second) or '—'}"
        for name, value in data.items()
        if isinstance(value, dict)
    )


def _recipients(data: dict[str, Any]) -> str:
    """Who a notification was for, and the people it reached when the engine knew them."""
    recipients = data.get("recipients") or []
    reached = data.get("reached")
    named = []
    for recipient in recipients:
        if isinstance(reached, dict) and recipient in reached:
            people = reached[recipient] or []
            named.append(f"{recipient} ({', '.join(map(str, people)) or 'nobody present'})")
        else:
            named.append(str(recipient))
    return ", ".join(named) or "nobody"


def _suffix(text: str) -> str:
    return f" ({text})" if text else ""


def _timeline(
    messages: list[MessageOut], audit: list[AuditEntryOut], zone: tzinfo, customer: str
) -> list[Entry]:
    """Messages with their text, and every other audit entry in words; the newest first.

    A message takes the place of the audit entry its arrival wrote (or, for the case's first
    message, just after the opening), so the order is the order things were recorded in.
    """
    anchors: dict[tuple[int, str], list[int]] = {}
    lines: list[tuple[int, float, Entry]] = []
    for entry_out in audit:
        at_us = to_us(entry_out.at)
        if entry_out.kind in ("customer.message", "agent.message", "case.opened"):
            anchors.setdefault((at_us, entry_out.kind), []).append(entry_out.id)
            if entry_out.kind != "case.opened":
                continue  # the message itself is on the timeline, with its text
        at, iso = _when(at_us, zone)
        what, css = describe(entry_out)
        lines.append((at_us, entry_out.id, Entry(at, iso, entry_out.actor, what, css)))
    for message in messages:
        kinds: tuple[str, ...]
        at_us = to_us(message.at)
        at, iso = _when(at_us, zone)
        if message.author_kind == "customer":
            what, css = "Customer wrote", "customer"
            kinds = ("customer.message", "case.opened")
        elif message.public:
            what, css = "Replied to the customer", "reply"
            kinds = ("agent.message",)
        else:
            what, css = message.subject or "Internal note", "note"
            kinds = ("agent.message",)
        order = float("inf")
        for kind in kinds:
            found = anchors.get((at_us, kind))
            if found:
                order = found.pop(0) + (0.5 if kind == "case.opened" else 0)
                break
        subject = f": {one_line(message.subject)}" if message.subject and message.public else ""
        # A participant of the case (not its customer) is named by their own address.
        by_customer = message.author_kind == "customer" and not _by_participant(message)
        who = customer if by_customer else message.author
        entry = Entry(at, iso, who, what + subject, css, message.body, message.channel)
        lines.append((at_us, order, entry))
    lines.sort(key=lambda line: (line[0], line[1]), reverse=True)
    return [entry for _at, _order, entry in lines]


def _by_participant(message: MessageOut) -> bool:
    return bool((message.details or {}).get("participant"))


def _clocks(sla: SlaOut, now: int) -> list[Clock]:
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
        if clock.breached:
            css = "due-breach"
        target = "—" if clock.target_seconds is None else duration(round(clock.target_seconds * US))
        shown.append(
            Clock(
                _metric(clock.metric),
                target,
                state,
                "—" if clock.due_at is None else f"{clock.due_at:%a %d %b %H:%M}",
                "" if clock.due_at is None else clock.due_at.isoformat(),
                text,
                css,
            )
        )
    return shown


def _policy(session: Session, version_id: int) -> Policy:
    fingerprint = session.scalar(
        select(PolicyVersion.fingerprint).where(PolicyVersion.id == version_id)
    )
    return policies.compiled(session, version_id, fingerprint)


def _choices(session: Session, policy: Policy, case: CaseOut) -> Choices:
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
    )


def _handler(session: Session, case: CaseOut) -> str:
    if case.assignee:
        name = session.scalar(select(Agent.name).where(Agent.handle == case.assignee))
        return f"{name} ({case.assignee})" if name else case.assignee
    return f"team {case.team} (unassigned)"


def _may_acknowledge(session: Session, visit: Visit, case: CaseOut) -> bool:
    """Whether the acknowledge flow would accept this person (it checks again)."""
    handle = visit.principal.agent
    if handle is None:
        return visit.supervises
    agent = session.scalars(select(Agent).where(Agent.handle == handle)).first()
    if agent is None or not agent.active:
        return False
    return agent.level == case.level or case.team in {team.name for team in agent.teams}


def _approvals(
    session: Session, parts: Parts, visit: Visit, policy: Policy, case_id: int
) -> list[ApprovalView]:
    """The case's approval requests; for the pending ones, what the flows would let the person
    do (they check again) and who may decide."""
    scope = visibility.EVERYTHING  # the case itself was read in the person's scope
    rights = flows.pending_rights(
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


def load_view(session: Session, parts: Parts, case_id: int, visit: Visit) -> CaseView:
    """Read everything the case page shows, in one transaction: NotFound for a case the person
    may not see, as for one that does not exist."""
    now = parts.clock.now_us()
    case = queries.get_case(session, case_id, scope=scope_of(session, visit, parts))
    # The case is in the person's scope: its parts are read without asking again.
    sla = queries.sla(session, case_id, now, scope=visibility.EVERYTHING)
    zone = ZoneInfo(sla.timezone)
    messages = queries.messages(session, case_id, public_only=False, scope=visibility.EVERYTHING)
    audit = queries.audit(
        session, case_id, after=None, limit=1000, scope=visibility.EVERYTHING
    ).items
    policy = _policy(session, case.policy.id)
    base = parts.settings.public_url or ""
    return CaseView(
        case=case,
        clocks=_clocks(sla, now),
        timezone=sla.timezone,
        timeline=_timeline(messages, audit, zone, case.customer.name or case.customer.ref),
        approvals=_approvals(session, parts, visit, policy, case_id),
        choices=_choices(session, policy, case),
        status_url=links.status_url(case_id, base, now=now / US),
        handler=_handler(session, case),
        may_acknowledge=case.awaiting_acknowledgement and _may_acknowledge(session, visit, case),
        people=tuple(presence.people(session, now=now, team=case.team)) if visit.supervises else (),
    )


def _show(
    request: Request,
    parts: Parts,
    case_id: int,
    *,
    template: str = "case.html",
    error: str | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        try:
            view = load_view(session, parts, case_id, visit)
        except NotFound as missing:
            return page("notice.html", 404, title="No such case", text=str(missing), visit=visit)
    return page(
        template,
        status_code,
        visit=visit,
        view=view,
        case=view.case,
        error=error,
        done=DONE.get(done or ""),
        statuses=STATUSES,
        refresh=round(parts.settings.dashboard_refresh_seconds * 1000),
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: CaseId, request: Request, parts: Parts, done: str | None = None) -> Response:
    """A case: summary, clocks, timeline and actions."""
    return _show(request, parts, case_id, done=done)


@router.get("/cases/{case_id}/live", response_class=HTMLResponse)
def case_live(case_id: CaseId, request: Request, parts: Parts) -> Response:
    """The changing part of the case page (summary, clocks, timeline), for its refresh."""
    return _show(request, parts, case_id, template="case_live.html")


def _act(
    request: Request,
    parts: Parts,
    case_id: int,
    csrf_token: str,
    done: str,
    action: Callable[[Session, Visit], None],
) -> Response:
    """Check the session and CSRF token, run `action(session, visit)`, and go back to the page."""
    visit = form_visit(request, parts, csrf_token)
    if not isinstance(visit, Visit):
        return visit
    try:
        with parts.database.write() as session:
            action(session, visit)
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
    return redirect(f"/ui/cases/{case_id}?done={done}")


@router.post("/cases/{case_id}/messages", response_class=HTMLResponse)
def post_message(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    body: Annotated[str, Form(max_length=100_000)] = "",
    kind: Annotated[Literal["reply", "note"], Form()] = "reply",
    csrf_token: Csrf = "",
) -> Response:
    """Reply to the customer, or add an internal note."""

    def run(session: Session, visit: Visit) -> None:
        message = MessageIn(author="agent", body=body, public=kind == "reply")
        flows.post_message(
            session,
            case_id=case_id,
            request=message,
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            analyzer=parts.analyzer,
        )

    return _act(request, parts, case_id, csrf_token, kind, run)


@router.post("/cases/{case_id}/escalate", response_class=HTMLResponse)
def escalate(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    target: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Version = None,
    csrf_token: Csrf = "",
) -> Response:
    """Escalate up to a level (`level:NAME`) or across to a team (`team:NAME`), with a reason."""
    kind, _, name = target.partition(":")

    def run(session: Session, visit: Visit) -> None:
        if kind == "team":
            escalation = EscalateIn(kind="functional", to_team=name, reason=reason)
        else:
            escalation = EscalateIn(kind="hierarchical", to_level=name or None, reason=reason)
        flows.escalate_case(
            session,
            case_id=case_id,
            request=escalation,
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=version,
        )

    return _act(request, parts, case_id, csrf_token, "route" if kind == "team" else "escalate", run)


@router.post("/cases/{case_id}/acknowledgement", response_class=HTMLResponse)
def acknowledge(case_id: CaseId, request: Request, parts: Parts, csrf_token: Csrf = "") -> Response:
    """Acknowledge the escalation: the case is yours."""

    def run(session: Session, visit: Visit) -> None:
        flows.acknowledge(
            session,
            case_id=case_id,
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=None,
        )

    return _act(request, parts, case_id, csrf_token, "acknowledge", run)


@router.post("/cases/{case_id}/de-escalation", response_class=HTMLResponse)
def de_escalate(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    to_level: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
    version: Version = None,
    csrf_token: Csrf = "",
) -> Response:
    """Return the case to a lower level with a hand-over note (supervisors)."""

    def run(session: Session, visit: Visit) -> None:
        if not visit.supervises:
            raise Forbidden("only supervisors and admins return a case to a lower level")
        flows.de_escalate(
            session,
            case_id=case_id,
            request=DeEscalateIn(to_level=to_level, note=note),
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=version,
        )

    return _act(request, parts, case_id, csrf_token, "de-escalate", run)


@router.post("/cases/{case_id}/approvals", response_class=HTMLResponse)
def request_approval(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    kind: Annotated[str, Form(max_length=100)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Ask to grant an amount: granted within your authority, else it waits for a decider."""

    def run(session: Session, visit: Visit) -> None:
        try:
            value = float(amount.replace(",", "").strip())
        except ValueError:
            raise Invalid(f"the amount must be a number, not {amount!r}") from None
        flows.request_approval(
            session,
            case_id=case_id,
            request=ApprovalIn(kind=kind, amount=value, note=note),
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=None,
        )

    return _act(request, parts, case_id, csrf_token, "approval", run)


@router.post("/cases/{case_id}/approvals/{approval_id}/decision", response_class=HTMLResponse)
def decide_approval(
    case_id: CaseId,
    approval_id: CaseId,
    request: Request,
    parts: Parts,
    decision: Annotated[Literal["approve", "reject"], Form()] = "approve",
    note: Annotated[str, Form(max_length=10_000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Approve or reject a pending request on this case (supervisors)."""

    def run(session: Session, visit: Visit) -> None:
        _on_case(session, parts, visit, approval_id, case_id)
        flows.decide_approval(
            session,
            approval_id=approval_id,
            request=ApprovalDecisionIn(decision=decision, note=note),
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
        )

    return _act(request, parts, case_id, csrf_token, "decision", run)


@router.post("/cases/{case_id}/approvals/{approval_id}/withdrawal", response_class=HTMLResponse)
def withdraw_approval(
    case_id: CaseId,
    approval_id: CaseId,
    request: Request,
    parts: Parts,
    csrf_token: Csrf = "",
) -> Response:
    """Take back your own pending approval request."""

    def run(session: Session, visit: Visit) -> None:
        _on_case(session, parts, visit, approval_id, case_id)
        flows.withdraw_approval(
            session, approval_id=approval_id, actor=acting(visit, parts), now=parts.clock.now_us()
        )

    return _act(request, parts, case_id, csrf_token, "withdrawal", run)


def _on_case(session: Session, parts: Parts, visit: Visit, approval_id: int, case_id: int) -> None:
    """NotFound unless the approval request is one of this case's, and the case is the
    person's to see (a form names both; they must agree)."""
    found = queries.get_approval(session, approval_id, scope=scope_of(session, visit, parts))
    if found.case_id != case_id:
        raise NotFound(f"approval request {approval_id} is not on case {case_id}")


@router.post("/cases/{case_id}/update", response_class=HTMLResponse)
def update_case(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    status: Annotated[str, Form(max_length=40)] = "",
    priority: Annotated[str, Form(max_length=100)] = "",
    version: Version = None,
    csrf_token: Csrf = "",
) -> Response:
    """Change the status and the priority (only what differs from the case's)."""

    def run(session: Session, visit: Visit) -> None:
        current = queries.get_case(session, case_id, scope=scope_of(session, visit, parts))
        fields: dict[str, str] = {}
        if status and status != current.status:
            fields["status"] = status
        if priority and priority != current.priority:
            fields["priority"] = priority
        if not fields:
            raise Invalid("nothing changed: pick another status or priority")
        flows.update_case(
            session,
            case_id=case_id,
            request=CasePatch.model_validate(fields),
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=version,
        )

    return _act(request, parts, case_id, csrf_token, "update", run)


@router.post("/cases/{case_id}/resolve", response_class=HTMLResponse)
def resolve(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    root_cause: Annotated[str, Form(max_length=200)] = "",
    version: Version = None,
    csrf_token: Csrf = "",
) -> Response:
    """Resolve the case, naming its root cause (the numbers page counts them)."""

    def run(session: Session, visit: Visit) -> None:
        if not root_cause.strip():
            raise Invalid("name the root cause: what caused the customer's problem")
        flows.update_case(
            session,
            case_id=case_id,
            request=CasePatch(status="resolved", root_cause=root_cause),
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=version,
        )

    return _act(request, parts, case_id, csrf_token, "resolve", run)


@router.post("/cases/{case_id}/take", response_class=HTMLResponse)
def take(case_id: CaseId, request: Request, parts: Parts, csrf_token: Csrf = "") -> Response:
    """Assign the case to yourself."""

    def run(session: Session, visit: Visit) -> None:
        if visit.principal.agent is None:
            raise Invalid("your user is not linked to an agent, so no case can be yours")
        flows.assign_case(
            session,
            case_id=case_id,
            assignee=visit.principal.agent,
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=None,
        )

    return _act(request, parts, case_id, csrf_token, "take", run)


@router.post("/cases/{case_id}/assign", response_class=HTMLResponse)
def assign(
    case_id: CaseId,
    request: Request,
    parts: Parts,
    assignee: Annotated[str, Form(max_length=100)] = "",
    version: Version = None,
    csrf_token: Csrf = "",
) -> Response:
    """Hand the case to a named person, or back to its team's queue (no one chosen)."""

    def run(session: Session, visit: Visit) -> None:
        flows.assign_case(
            session,
            case_id=case_id,
            assignee=assignee.strip() or None,
            actor=acting(visit, parts),
            now=parts.clock.now_us(),
            if_match=version,
        )

    return _act(request, parts, case_id, csrf_token, "assign", run)
