"""KPIs over a window of time: escalation rate, time to resolve, SLA compliance, CSAT, FCR."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case, ClockEvent, Escalation, Message
from escalon.core.attribution import PARTIES, attribute
from escalon.core.codec import state_from_json
from escalon.core.ola import METRIC_PREFIX as OLA_PREFIX
from escalon.core.replay import nearest_rank
from escalon.core.state import CLOCK_METRICS, from_us
from escalon.notifications.models import OutboxMessage

# Whose time the time was is read from each case's stored state: at most this many per window.
MAX_ATTRIBUTED = 5_000


class Quantiles(BaseModel):
    """Resolution times in business hours."""

    cases: int
    median_hours: float | None
    p90_hours: float | None


class Compliance(BaseModel):
    """One SLA metric: cycles met and breached in the window."""

    met: int
    breached: int
    compliance: float | None


class Csat(BaseModel):
    """Satisfaction answers."""

    responses: int
    mean: float | None


class RootCause(BaseModel):
    """Resolved cases that named one root cause."""

    cases: int
    escalated: int


class TimeSplit(BaseModel):
    """Whose time the cases' time was (`core.attribution`), in hours, measured now."""

    cases: int = Field(0, description="cases measured (the most recent when there are more)")
    teams: dict[str, float] = Field(default_factory=dict)
    levels: dict[str, float] = Field(default_factory=dict)
    parties: dict[str, float] = Field(
        default_factory=dict, description="ours, customer (pending_customer), third_party"
    )


class Now(BaseModel):
    """How things stand at this instant."""

    open_cases: int
    overdue_cases: int = Field(description="open cases past the due instant of a clock")
    awaiting_acknowledgement: int
    dead_letters: int


class KpiSummary(BaseModel):
    """The numbers of cases opened in [since, until)."""

    since: datetime
    until: datetime
    cases: int
    escalated_cases: int
    escalation_rate: float | None
    escalations_by_rule: dict[str, int]
    escalations_by_level: dict[str, int]
    functional_escalations: int
    de_escalations: int
    resolution_time: dict[str, Quantiles]
    sla: dict[str, Compliance]
    csat: dict[str, Csat]
    first_contact_resolution: float | None = Field(
        description="resolved cases closed without escalation after at most one public reply"
    )
    root_causes: dict[str, RootCause] = Field(
        default_factory=dict,
        description="resolved cases by the root cause named (its policy code, or its words "
        "when named without one), most first",
    )
    ola: dict[str, Compliance] = Field(
        default_factory=dict, description="per team, its OLA cycles met and breached"
    )
    time: TimeSplit | None = Field(
        None, description="hours with each team, at each level and per party"
    )
    now: Now


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _quantiles(hours: list[float]) -> Quantiles:
    if not hours:
        return Quantiles(cases=0, median_hours=None, p90_hours=None)
    ordered = sorted(hours)
    return Quantiles(
        cases=len(ordered),
        median_hours=round(nearest_rank(ordered, 0.5), 3),
        p90_hours=round(nearest_rank(ordered, 0.9), 3),
    )


def summary(
    session: Session,
    *,
    since: int,
    until: int,
    now: int,
    state: Now | None = None,
    with_time: bool = True,
) -> KpiSummary:
    """Every KPI for cases opened in [since, until), plus the state of things at `now`.

    `state`, when given, is that state already measured (a series of windows shares one);
    without `with_time`, whose time the cases' time was is left out (it reads their states).
    """
    window = and_(Case.opened_at >= since, Case.opened_at < until)
    escalated = Case.escalations > 0
    cases, escalated_cases = session.execute(
        select(func.count(), func.coalesce(func.sum(case((escalated, 1), else_=0)), 0)).where(
            window
        )
    ).one()
    moves = _Moves.count(session, window)
    resolved, first_contact = _first_contact(session, window)
    return KpiSummary(
        since=from_us(since),
        until=from_us(until),
        cases=cases,
        escalated_cases=escalated_cases,
        escalation_rate=_ratio(escalated_cases, cases),
        escalations_by_rule=dict(sorted(moves.by_rule.items())),
        escalations_by_level=dict(sorted(moves.by_level.items())),
        functional_escalations=moves.routes,
        de_escalations=moves.de_escalations,
        resolution_time={
            group: _quantiles(values)
            for group, values in _resolution_hours(session, window).items()
        },
        sla=_sla(session, window),
        csat=_csat(session, window),
        first_contact_resolution=_ratio(first_contact, resolved),
        root_causes=_root_causes(session, window),
        ola=_ola(session, window),
        time=_time_split(session, window, now) if with_time else None,
        now=state if state is not None else _now(session, now),
    )


@dataclass(slots=True)
class _Moves:
    """Escalations by rule and level reached, routes and de-escalations of a window's cases."""

    by_rule: dict[str, int]
    by_level: dict[str, int]
    routes: int = 0
    de_escalations: int = 0

    @classmethod
    def count(cls, session: Session, window: ColumnElement[bool]) -> _Moves:
        """Count the moves of the cases opened in the window."""
        moves = cls(by_rule={}, by_level={})
        query = (
            select(Escalation.action, Escalation.rule, Escalation.to_level, func.count())
            .join(Case, Case.id == Escalation.case_id)
            .where(window)
            .group_by(Escalation.action, Escalation.rule, Escalation.to_level)
        )
        for action, rule, level, count in session.execute(query):
            if action == "escalate":
                moves.by_rule[rule] = moves.by_rule.get(rule, 0) + count
                reached = level or "?"
                moves.by_level[reached] = moves.by_level.get(reached, 0) + count
            elif action == "route":
                moves.routes += count
            else:
                moves.de_escalations += count
        return moves


def _resolution_hours(session: Session, window: ColumnElement[bool]) -> dict[str, list[float]]:
    """Business hours to resolve, for escalated cases and the others."""
    hours: dict[str, list[float]] = {"escalated": [], "other": []}
    for is_escalated, seconds in session.execute(
        select(Case.escalations > 0, Case.resolution_business_seconds).where(
            window, Case.resolution_business_seconds.isnot(None)
        )
    ):
        if seconds is not None:
            hours["escalated" if is_escalated else "other"].append(seconds / 3600)
    return hours


def _sla(session: Session, window: ColumnElement[bool]) -> dict[str, Compliance]:
    """Met and breached clocks of each metric."""
    counts: dict[tuple[str, str], int] = {
        (metric, kind): count
        for metric, kind, count in session.execute(
            select(ClockEvent.metric, ClockEvent.kind, func.count())
            .join(Case, Case.id == ClockEvent.case_id)
            .where(window, ClockEvent.kind.in_(("met", "breach")))
            .group_by(ClockEvent.metric, ClockEvent.kind)
        )
    }
    # The resolution clock is not "met" by an event: it stops when the case is resolved. A
    # resolved case whose resolution clock never breached met it.
    resolution_breached = (
        select(ClockEvent.id)
        .where(
            ClockEvent.case_id == Case.id,
            ClockEvent.metric == "resolution",
            ClockEvent.kind == "breach",
        )
        .exists()
    )
    counts[("resolution", "met")] = int(
        session.scalar(
            select(func.count()).where(window, Case.resolved_at.isnot(None), ~resolution_breached)
        )
        or 0
    )
    sla: dict[str, Compliance] = {}
    for metric in CLOCK_METRICS:
        met, breached = counts.get((metric, "met"), 0), counts.get((metric, "breach"), 0)
        sla[metric] = Compliance(met=met, breached=breached, compliance=_ratio(met, met + breached))
    return sla


def _ola(session: Session, window: ColumnElement[bool]) -> dict[str, Compliance]:
    """Per team, its OLA cycles met and breached (clock events `ola:TEAM`)."""
    counts: dict[str, dict[str, int]] = {}
    for metric, kind, count in session.execute(
        select(ClockEvent.metric, ClockEvent.kind, func.count())
        .join(Case, Case.id == ClockEvent.case_id)
        .where(
            window,
            ClockEvent.metric.startswith(OLA_PREFIX, autoescape=True),
            ClockEvent.kind.in_(("met", "breach")),
        )
        .group_by(ClockEvent.metric, ClockEvent.kind)
    ):
        counts.setdefault(metric.removeprefix(OLA_PREFIX), {})[kind] = count
    return {
        team: Compliance(
            met=found.get("met", 0),
            breached=found.get("breach", 0),
            compliance=_ratio(found.get("met", 0), found.get("met", 0) + found.get("breach", 0)),
        )
        for team, found in sorted(counts.items())
    }


def _time_split(session: Session, window: ColumnElement[bool], now: int) -> TimeSplit:
    """Hours with each team, at each level and per party, over the window's cases (the most
    recent `MAX_ATTRIBUTED` of them: each is read from its stored state)."""
    rows = session.execute(
        select(Case.state, Case.level).where(window).order_by(Case.id.desc()).limit(MAX_ATTRIBUTED)
    ).all()
    teams: dict[str, int] = {}
    levels: dict[str, int] = {}
    parties: dict[str, int] = dict.fromkeys(PARTIES, 0)
    for stored, level in rows:
        found = attribute(state_from_json(stored), now, level=level)
        for totals, part in (
            (teams, found.by_team()),
            (levels, found.by_level()),
            (parties, found.parties),
        ):
            for name, spent in part.items():
                totals[name] = totals.get(name, 0) + spent
    return TimeSplit(
        cases=len(rows),
        teams={name: _hours(spent) for name, spent in sorted(teams.items())},
        levels={name: _hours(spent) for name, spent in sorted(levels.items())},
        parties={name: _hours(spent) for name, spent in parties.items()},
    )


def _hours(us: int) -> float:
    return round(us / 3_600_000_000, 3)


def _csat(session: Session, window: ColumnElement[bool]) -> dict[str, Csat]:
    """Survey responses and their mean, for escalated cases and the others."""
    csat: dict[str, Csat] = {}
    for label, condition in (("escalated", Case.escalations > 0), ("other", Case.escalations == 0)):
        responses, mean = session.execute(
            select(func.count(Case.survey_score), func.avg(Case.survey_score)).where(
                window, condition
            )
        ).one()
        csat[label] = Csat(
            responses=responses, mean=None if mean is None else round(float(mean), 3)
        )
    return csat


def _first_contact(session: Session, window: ColumnElement[bool]) -> tuple[int, int]:
    """Resolved cases, and those resolved without escalation after at most one public reply."""
    replies = (
        select(func.count())
        .where(Message.case_id == Case.id, Message.author_kind == "agent", Message.public)
        .correlate(Case)
        .scalar_subquery()
    )
    resolved, first_contact = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(case((and_(Case.escalations == 0, replies <= 1), 1), else_=0)), 0
            ),
        ).where(window, Case.resolved_at.isnot(None))
    ).one()
    return int(resolved), int(first_contact)


def _root_causes(session: Session, window: ColumnElement[bool]) -> dict[str, RootCause]:
    """Cases and escalated cases per root cause, the most frequent first."""
    # A cause is its policy code, or its words when named without one.
    cause = func.coalesce(Case.root_cause_code, Case.root_cause)
    causes = session.execute(
        select(
            cause,
            func.count(),
            func.coalesce(func.sum(case((Case.escalations > 0, 1), else_=0)), 0),
        )
        .where(window, cause.isnot(None))
        .group_by(cause)
    ).all()
    return {
        str(cause): RootCause(cases=count, escalated=escalated_count)
        for cause, count, escalated_count in sorted(causes, key=lambda row: (-row[1], row[0]))
    }


def _now(session: Session, now: int) -> Now:
    open_statuses = ("open", "pending_customer", "pending_third_party", "on_hold")
    row: Any = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Case.due_at < now, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Case.awaiting_ack, 1), else_=0)), 0),
        ).where(Case.status.in_(open_statuses))
    ).one()
    dead = session.scalar(select(func.count()).where(OutboxMessage.status == "dead")) or 0
    return Now(
        open_cases=row[0], overdue_cases=row[1], awaiting_acknowledgement=row[2], dead_letters=dead
    )
