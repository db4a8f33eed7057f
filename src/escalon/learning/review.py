"""The weekly escalation review: what escalated, why, what was slow, what we learnt, who shone.

One ISO week (Monday to Sunday, UTC) against the week before: escalations by rule, level and
team; root causes named in the week's resolutions and the causes on the rise; the slowest
escalated cases; training gaps over the four weeks up to its end; the week's lessons and kudos;
SLA compliance and CSAT of the cases opened in each week. The CLI writes it as a file, the
dashboard shows it, and every figure links to the cases behind it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.analytics import causes as root_causes
from escalon.analytics.coaching import Figures, coaching
from escalon.analytics.kpis import Compliance, KpiSummary, summary
from escalon.cases import visibility
from escalon.cases.models import Case, Escalation
from escalon.core.state import to_us
from escalon.forecast.staffing import TeamStaffing, forecast, staffing_goal
from escalon.learning.kudos import Board, board
from escalon.learning.lessons import LessonOut, lessons
from escalon.policies import service as policies

WEEK_US = 7 * 86_400_000_000
SLOWEST = 10
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
SLA_NAMES = {
    "first_response": "First response",
    "next_response": "Next response",
    "periodic_update": "Periodic update",
    "resolution": "Resolution",
}


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week in UTC: [since, until) in µs."""

    year: int
    number: int

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def since(self) -> int:
        return to_us(datetime.combine(self.monday, datetime.min.time(), tzinfo=UTC))

    @property
    def until(self) -> int:
        return self.since + WEEK_US

    @property
    def name(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def days(self) -> tuple[str, str]:
        """Its first and last day, as links name them."""
        return self.monday.isoformat(), (self.monday + timedelta(days=6)).isoformat()

    @property
    def label(self) -> str:
        first, last = self.monday, self.monday + timedelta(days=6)
        return f"{self.name} ({first.day} {first:%b} – {last.day} {last:%b %Y})"

    def before(self) -> Week:
        """The week before."""
        year, number, _ = (self.monday - timedelta(days=7)).isocalendar()
        return Week(year, number)


def parse_week(text: str) -> Week:
    """`2026-W49` (or `2026W49`) as a week; ValueError says what a week looks like."""
    found = _ISO_WEEK.match(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not an ISO week such as 2026-W49")
    year, number = int(found.group(1)), int(found.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {number}") from None
    return Week(year, number)


def week_of(now: int) -> Week:
    """The week `now` falls in."""
    year, number, _ = datetime.fromtimestamp(now / 1_000_000, tz=UTC).date().isocalendar()
    return Week(year, number)


def last_full_week(now: int) -> Week:
    """The latest week that has ended by `now`."""
    return week_of(now).before()


@dataclass(frozen=True, slots=True)
class Links:
    """Where a week's figures lead in the dashboard, under `base` ("" inside the dashboard, the
    public address in a file or a mail): the filtered list of the cases a figure counted."""

    week: Week
    base: str

    def cases(self, **wanted: str) -> str:
        """The dashboard's list of the cases a figure counted."""
        return f"{self.base}/ui/queue?{urlencode({'status': 'any', **wanted})}"

    def case(self, case_id: int) -> str:
        """One case's page."""
        return f"{self.base}/ui/cases/{case_id}"

    def page(self) -> str:
        """The review's own page in the dashboard."""
        return f"{self.base}/ui/review?{urlencode({'week': self.week.name})}"

    def escalated(self, week: Week | None = None, **wanted: str) -> str:
        """The cases with an escalation in the week matching `wanted`."""
        first, last = (week or self.week).days
        return self.cases(escalation_from=first, escalation_to=last, **wanted)

    def resolved(self, **wanted: str) -> str:
        """The cases resolved in the week matching `wanted`."""
        first, last = self.week.days
        return self.cases(resolved_from=first, resolved_to=last, **wanted)

    def opened(self, week: Week | None = None) -> str:
        """The cases opened in the week."""
        first, last = (week or self.week).days
        return self.cases(opened_from=first, opened_to=last)

    def staffing(self) -> str:
        """The staffing forecast's page."""
        return f"{self.base}/ui/staffing"

    def four_weeks(self, holder: str) -> str:
        """A person's escalated cases over the four weeks the training gaps read."""
        first = self.week.before().before().before().days[0]
        return self.cases(holder=holder, escalation_from=first, escalation_to=self.week.days[1])


@dataclass(frozen=True, slots=True)
class Slow:
    """An escalated case resolved in the week, and its business hours to resolution."""

    case_id: int
    subject: str
    level: str
    team: str
    hours: float


@dataclass(frozen=True, slots=True)
class Review:
    """Everything the weekly review shows."""

    week: Week
    before: Week
    escalations: int
    escalations_before: int
    by_rule: tuple[tuple[str, int], ...]
    by_level: tuple[tuple[str, int], ...]
    by_team: tuple[tuple[str, int], ...]
    causes: tuple[root_causes.CauseCount, ...]
    rising: tuple[root_causes.RisingCause, ...]
    slowest: tuple[Slow, ...]
    gaps: tuple[Figures, ...]  # people and teams with a training gap
    lessons: tuple[LessonOut, ...]
    kudos: Board
    kpis: KpiSummary
    kpis_before: KpiSummary
    # The coming 7 days from when the review is made: each team's short hours.
    staffing: tuple[TeamStaffing, ...] = ()


def weekly_review(session: Session, week: Week, *, now: int) -> Review:
    """The review of `week` (every case: it is for the managers)."""
    before = week.before()
    names = root_causes.labels(session)
    by_rule, by_level, by_team, count = _escalations(session, week)
    *_, count_before = _escalations(session, before)
    people = coaching(session, since=week.until - 4 * WEEK_US, until=week.until)
    return Review(
        week=week,
        before=before,
        escalations=count,
        escalations_before=count_before,
        by_rule=by_rule,
        by_level=by_level,
        by_team=by_team,
        causes=tuple(
            root_causes.pareto(
                session, resolved_since=week.since, resolved_until=week.until, names=names
            )
        ),
        rising=tuple(root_causes.rising_causes(session, until=week.until, names=names)),
        slowest=_slowest(session, week),
        gaps=tuple(who for who in (*people.people, *people.teams) if who.gaps),
        lessons=tuple(
            lessons(
                session,
                scope=visibility.EVERYTHING,
                since=week.since,
                until=week.until,
                limit=200,
            )
        ),
        kudos=board(session, since=week.since, until=week.until),
        kpis=summary(session, since=week.since, until=week.until, now=now),
        kpis_before=summary(session, since=before.since, until=before.until, now=now),
        staffing=tuple(forecast(session, now_us=now, goal=staffing_goal(policies.active(session)))),
    )


def _escalations(
    session: Session, week: Week
) -> tuple[
    tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], int
]:
    """The week's escalations up, by rule, by level reached and by the case's team."""
    rows = session.execute(
        select(Escalation.rule, Escalation.to_level, Case.team)
        .join(Case, Case.id == Escalation.case_id)
        .where(
            Escalation.action == "escalate",
            Escalation.at >= week.since,
            Escalation.at < week.until,
        )
    ).all()
    rules = Counter(str(rule) for rule, _, _ in rows)
    levels = Counter(str(level) for _, level, _ in rows if level)
    teams = Counter(str(team) for _, _, team in rows)
    return (
        tuple(rules.most_common()),
        tuple(levels.most_common()),
        tuple(teams.most_common()),
        len(rows),
    )


def _slowest(session: Session, week: Week) -> tuple[Slow, ...]:
    rows = session.execute(
        select(Case.id, Case.subject, Case.level, Case.team, Case.resolution_business_seconds)
        .where(
            Case.escalations > 0,
            Case.resolved_at >= week.since,
            Case.resolved_at < week.until,
            Case.resolution_business_seconds.is_not(None),
        )
        .order_by(Case.resolution_business_seconds.desc(), Case.id)
        .limit(SLOWEST)
    )
    return tuple(
        Slow(case_id, subject, level, team, round((seconds or 0) / 3600, 1))
        for case_id, subject, level, team, seconds in rows
    )


def sla_words(review: Review) -> list[tuple[str, str, str]]:
    """Each SLA metric's compliance this week and the week before, in words."""
    found = []
    for metric, name in SLA_NAMES.items():
        now, before = review.kpis.sla.get(metric), review.kpis_before.sla.get(metric)
        if now is None and before is None:
            continue
        found.append((name, _compliance(now), _compliance(before)))
    return found


def _compliance(figures: Compliance | None) -> str:
    if figures is None or figures.compliance is None:
        return "—"
    return f"{figures.compliance:.0%} ({figures.met} met, {figures.breached} breached)"
