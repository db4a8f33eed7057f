"""The dashboard's policy page: the active (or a stored) policy version as a readable matrix.

The data comes from `escalon.policies.service`, as for `GET /api/v1/policies`: the stored version
row for who and when, its compiled policy for the matrix. Not part of the OpenAPI schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth.models import User
from escalon.core.policy import Policy, PolicyInvalid
from escalon.core.policy.model import METRICS
from escalon.core.state import from_us
from escalon.errors import NotFound
from escalon.people.models import Agent
from escalon.policies import service
from escalon.policies.models import PolicyVersion
from escalon.web import policy_text as words
from escalon.web.common import SIGN_IN, Parts, Visit, page, redirect, visit_of

router = APIRouter(prefix="/ui", include_in_schema=False)
# Ids are positive BIGINTs: at most 19 digits, so the range check below never meets a huge int.
VERSION_ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**62


@dataclass(frozen=True, slots=True)
class Header:
    """Which version the page shows, who stored and activated it, and what the check said."""

    id: int
    name: str
    version: str
    filename: str
    fingerprint: str
    active: bool
    uploaded_at: str
    uploaded_by: str | None
    activated_at: str | None
    activated_by: str | None
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class LevelRow:
    """One rung of the ladder."""

    rank: int
    name: str
    team: str
    authority: list[str]
    staff: list[str]


@dataclass(frozen=True, slots=True)
class TargetRow:
    """The targets a case of one priority gets under one SLA, and when it gets that SLA."""

    priority: str
    sla: str
    applies: str
    targets: list[str]
    calendar: str
    timezone: str


@dataclass(frozen=True, slots=True)
class SlaRow:
    """One SLA's settings besides its targets."""

    name: str
    applies: str
    calendar: str
    timezone: str
    warn_at: str
    pauses: str


@dataclass(frozen=True, slots=True)
class OlaRow:
    """One team's internal target (OLA)."""

    team: str
    act_within: str
    warning: str
    calendar: str
    pauses: str


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """One business calendar."""

    name: str
    timezone: str
    hours: list[str]
    holidays: list[str]


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule, in words."""

    name: str
    trigger: str
    sentence: str


@dataclass(frozen=True, slots=True)
class Matrix:
    """A compiled policy as the page shows it."""

    levels: list[LevelRow]
    other_teams: list[str]
    priorities: list[str]
    default_priority: str
    impact: list[str]
    urgency: list[str]
    priority_matrix: list[list[str]]
    metrics: list[str]
    targets: list[TargetRow]
    unmatched: list[str]
    slas: list[SlaRow]
    calendars: list[CalendarRow]
    rules: list[RuleRow]
    olas: list[OlaRow] = field(default_factory=list)

    @property
    def priority_heads(self) -> list[str]:
        """The column heads of the table of priorities by impact and urgency."""
        return ["Impact", *(f"Urgency {urgency}" for urgency in self.urgency)]


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One stored version in the list of versions."""

    id: int
    name: str
    version: str
    uploaded_at: str
    active: bool


def when_text(us: int) -> str:
    """An instant as the page shows it: 2026-11-30 09:00 UTC."""
    return from_us(us).strftime("%Y-%m-%d %H:%M UTC")


def _timezone(policy: Policy, calendar: str) -> str:
    found = policy.calendars.get(calendar)
    return "" if found is None else str(found.timezone)


def target_rows(policy: Policy) -> tuple[list[TargetRow], list[str]]:
    """Per priority, the SLAs it can get in the order tried; and priorities some cases get none of."""
    rows: list[TargetRow] = []
    unmatched: list[str] = []
    for priority in policy.priorities:
        conditional = False
        caught = False
        for sla in policy.slas:
            when: dict[str, Any] = {} if sla.when is None else sla.when.model_dump()
            allowed = when.get("priority")
            if allowed is not None and priority not in allowed:
                continue
            clauses = words.sla_condition(when, skip=("priority",))
            if clauses:
                applies = words.both(clauses)
            else:
                applies = "every other case" if conditional else "every case"
            targets = [
                "—" if (target := sla.targets.get(metric)) is None else words.span(target)
                for metric in METRICS
            ]
            rows.append(
                TargetRow(
                    priority,
                    sla.name,
                    applies,
                    targets,
                    sla.calendar_label,
                    _timezone(policy, sla.calendar_name),
                )
            )
            if not clauses:
                # The first SLA that matches every case of this priority: later ones never apply.
                caught = True
                break
            conditional = True
        if not caught:
            unmatched.append(priority)
    return rows, unmatched


def matrix(policy: Policy, staff: dict[str, list[str]] | None = None) -> Matrix:
    """The page's view of a compiled policy; `staff` is who works at each level, by level name."""
    staff = staff or {}
    level_teams = {level.team for level in policy.levels}
    document = policy.document
    slas = []
    for index, sla in enumerate(policy.slas):
        when = {} if sla.when is None else sla.when.model_dump()
        slas.append(
            SlaRow(
                sla.name,
                words.both(words.sla_condition(when))
                or ("every case" if index == 0 else "every case no SLA above matches"),
                sla.calendar_label,
                _timezone(policy, sla.calendar_name),
                words.percent(sla.warn_at),
                words.either(status.replace("_", " ") for status in sla.pause_on) or "never",
            )
        )
    calendars = []
    for name, raw in document.calendars.items():
        holidays = raw.get("holidays")
        calendars.append(
            CalendarRow(
                name,
                _timezone(policy, name),
                words.opening_hours(raw.get("hours")),
                [] if holidays is None else words.names(holidays),
            )
        )
    targets, unmatched = target_rows(policy)
    return Matrix(
        levels=[
            LevelRow(
                rank,
                level.name,
                level.team,
                words.authority(level.authority),
                staff.get(level.name, []),
            )
            for rank, level in enumerate(policy.levels, start=1)
        ],
        other_teams=sorted(policy.teams - level_teams),
        priorities=list(policy.priorities),
        default_priority=document.priority.default,
        impact=list(document.priority.impact),
        urgency=list(document.priority.urgency),
        priority_matrix=[list(row) for row in document.priority.matrix],
        metrics=[words.metric_name(metric) for metric in METRICS],
        targets=targets,
        unmatched=unmatched,
        slas=slas,
        calendars=calendars,
        rules=[
            RuleRow(rule.name, rule.trigger, words.rule_sentence(rule)) for rule in policy.rules
        ],
        olas=[
            OlaRow(
                team,
                words.span(spec.act_within),
                words.percent(spec.warning),
                spec.calendar or "every hour",
                words.either(status.replace("_", " ") for status in spec.pause_on) or "never",
            )
            for team, spec in (document.ola or {}).items()
        ],
    )


def _warning(detail: dict[str, Any]) -> str:
    where = ", ".join(
        part
        for part in (
            str(detail.get("field") or ""),
            f"line {detail['line']}" if detail.get("line") is not None else "",
        )
        if part
    )
    problem = str(detail.get("problem", detail))
    return f"{where}: {problem}" if where else problem


def _people(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.display_name, User.username).where(User.id.in_(ids))
    ).all()
    return {int(user_id): display or username for user_id, display, username in rows}


def _staff(session: Session, levels: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    rows = session.execute(
        select(Agent.level, Agent.name)
        .where(Agent.active, Agent.level.in_(levels))
        .order_by(Agent.name)
    ).all()
    for level, name in rows:
        found.setdefault(str(level), []).append(name)
    return found


def _header(session: Session, version: PolicyVersion) -> Header:
    people = _people(
        session, {who for who in (version.uploaded_by, version.activated_by) if who is not None}
    )
    return Header(
        id=version.id,
        name=version.name,
        version=version.version,
        filename=version.filename,
        fingerprint=version.fingerprint,
        active=version.active,
        uploaded_at=when_text(version.uploaded_at),
        uploaded_by=None if version.uploaded_by is None else people.get(version.uploaded_by),
        activated_at=None if version.activated_at is None else when_text(version.activated_at),
        activated_by=None if version.activated_by is None else people.get(version.activated_by),
        warnings=[_warning(detail) for detail in version.warnings or []],
    )


def _notice(visit: Visit, status_code: int, title: str, text: str) -> HTMLResponse:
    return page("notice.html", status_code, title=title, text=text, visit=visit)


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, parts: Parts, version: str | None = None) -> Response:
    """The active policy (or `?version=ID`) as levels, SLA targets and rules in words."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        # Read as text and checked here, so a bad id gets a page that says so, not a JSON 422.
        wanted = (version or "").strip()
        if wanted and not VERSION_ID.fullmatch(wanted):
            return _notice(
                visit,
                400,
                "Not a policy version",
                f"{words.quoted(wanted[:40])} is not a policy version id: ids are whole numbers, "
                "as in the list of versions on the policy page (/ui/policy).",
            )
        versions = [
            VersionRow(row.id, row.name, row.version, when_text(row.uploaded_at), row.active)
            for row in session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc()))
        ]
        active = next((row for row in versions if row.active), None)
        try:
            if wanted:
                version_id = int(wanted)
                if not 1 <= version_id <= MAX_ID:
                    raise NotFound(f"policy version {version_id} does not exist")
                shown = service.get(session, version_id)
            elif active is not None:
                shown = service.get(session, active.id)
            else:
                return page(
                    "policy.html",
                    visit=visit,
                    header=None,
                    matrix=None,
                    versions=versions,
                    active=None,
                )
        except NotFound as error:
            return _notice(
                visit,
                404,
                "No such policy version",
                f"{str(error).capitalize()}. The policy page (/ui/policy) lists every stored "
                "version.",
            )
        header = _header(session, shown)
        try:
            policy = service.compiled(session, shown.id, shown.fingerprint)
        except PolicyInvalid as error:
            # Stored versions passed the check when uploaded; a stricter checker may refuse one.
            return _notice(
                visit,
                409,
                f"Policy version {shown.id} cannot be shown",
                f"It no longer passes the policy check: {error}",
            )
        content = matrix(policy, _staff(session, [level.name for level in policy.levels]))
    return page(
        "policy.html",
        visit=visit,
        header=header,
        matrix=content,
        versions=versions,
        active=active,
    )
