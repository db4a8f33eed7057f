"""The dashboard's numbers page: the KPIs of a window of days, as headline figures and over time.

Every figure is `escalon.analytics.kpis.summary`, the same as `GET /api/v1/kpis`: once for the
whole window, then once a bucket (a day, or a week for long windows) for the charts. All of them
are about the cases opened in the window (or the bucket), whenever their escalations came.
The recurring topics among escalated cases come from the latest stored topic run
(`escalon.learning.topic_runs`), over that run's own window: finding them never runs here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from escalon.analytics import causes as root_causes
from escalon.analytics.kpis import KpiSummary, summary
from escalon.cases import visibility
from escalon.core.state import CLOCK_METRICS, from_us
from escalon.learning import kudos as kudos_board
from escalon.learning import topic_runs
from escalon.web import charts
from escalon.web.access import scope_of
from escalon.web.charts import Buckets, Chart, Series
from escalon.web.common import SIGN_IN, Parts, page, redirect, visit_of

router = APIRouter(prefix="/ui", include_in_schema=False)

DAY_US = 86_400_000_000
WINDOWS = {"7": 7, "30": 30, "90": 90}
DEFAULT_DAYS = 30
DAILY_UP_TO = 30  # longer windows are shown by week: 13 points read better than 90
BUCKET_DAYS = {"day": 1, "week": 7}
STACKED_LAYERS = 5  # past it the rest share one layer: more colours would not be told apart
Param = Annotated[str | None, Query()]


@dataclass(frozen=True, slots=True)
class Bucket:
    """A stretch of UTC days, [since, until) in microseconds, with its labels."""

    since: int
    until: int
    short: str
    long: str


@dataclass(frozen=True, slots=True)
class Figure:
    """A headline number: what it is, its value, and what it is made of."""

    key: str
    label: str
    value: str
    detail: str
    link: str = ""  # the list of the cases it counts


@dataclass(frozen=True, slots=True)
class Section:
    """A chart of the page, with the id its heading and tests find it by."""

    key: str
    chart: Chart


@dataclass(frozen=True, slots=True)
class Numbers:
    """The page's content."""

    days: int
    bucket: str
    windows: tuple[int, ...]
    period: str
    figures: tuple[Figure, ...]
    sla: tuple[Figure, ...]
    sections: tuple[Section, ...]
    causes: tuple[CauseRow, ...] = ()
    rising: tuple[RisingRow, ...] = ()
    rising_period: str = ""
    kudos: kudos_board.Board | None = None
    topics: Topics | None = None  # None: no topic run has finished yet
    ola: tuple[Figure, ...] = ()  # per team with an OLA, its compliance
    time: tuple[Figure, ...] = ()  # hours with each team, at each level, per party


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A recurring topic among escalated cases, each count linked to its cases."""

    id: int
    name: str
    mark: str  # "new", "growing" or ""
    period_cases: int
    earlier_cases: int
    period_link: str
    earlier_link: str
    samples: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Topics:
    """The latest topic run, as the page says it."""

    made: str
    source: str
    window: str
    period: str
    earlier: str
    cases: int
    rows: tuple[TopicRow, ...]


@dataclass(frozen=True, slots=True)
class CauseRow:
    """A line of the root-cause Pareto, each count linked to the cases behind it."""

    label: str
    cases: int
    escalated: int
    share: str
    cumulative: str
    cases_link: str
    escalated_link: str


@dataclass(frozen=True, slots=True)
class RisingRow:
    """A cause on the rise, in words, linked to the last week's cases that named it."""

    label: str
    words: str
    link: str


def _date(us: int) -> str:
    moment = from_us(us)
    return f"{moment.day} {moment:%b} {moment.year}"


def buckets(now: int, days: int, width: int) -> list[Bucket]:
    """The `days` UTC days up to today, in buckets of `width` days counted back from the newest."""
    # Counting back keeps the newest bucket whole; the earliest takes what is left (6 of 90).
    end = (now // DAY_US + 1) * DAY_US
    start = end - days * DAY_US
    found: list[Bucket] = []
    until = end
    while until > start:
        since = max(until - width * DAY_US, start)
        first, last = from_us(since), from_us(until - DAY_US)
        if width == 1:
            long = f"{first:%a} {_date(since)}"
        elif first.year == last.year:
            long = f"{first.day} {first:%b} – {_date(until - DAY_US)}"
        else:
            long = f"{_date(since)} – {_date(until - DAY_US)}"
        found.append(Bucket(since, until, f"{first.day} {first:%b}", long))
        until = since
    return found[::-1]


def _rate(part: int, whole: int, what: str) -> str:
    return f"{part} of {whole} {what}{'' if whole == 1 else 's'}"


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _figures(total: KpiSummary) -> tuple[Figure, ...]:
    times = total.resolution_time
    csat = total.csat
    escalations = sum(total.escalations_by_rule.values())
    return (
        Figure("cases", "Cases opened", str(total.cases), "in the window"),
        Figure(
            "escalation-rate",
            "Escalation rate",
            charts.shown(total.escalation_rate, charts.percent),
            _rate(total.escalated_cases, total.cases, "case") + " escalated",
        ),
        Figure(
            "escalations",
            "Escalations",
            str(escalations),
            f"{_plural(total.functional_escalations, 'routing')} to other teams, "
            f"{_plural(total.de_escalations, 'de-escalation')}",
        ),
        Figure(
            "resolve-escalated",
            "Time to resolve, escalated",
            charts.shown(times["escalated"].median_hours, charts.hours),
            f"median business hours of {_plural(times['escalated'].cases, 'resolved case')}",
        ),
        Figure(
            "resolve-other",
            "Time to resolve, not escalated",
            charts.shown(times["other"].median_hours, charts.hours),
            f"median business hours of {_plural(times['other'].cases, 'resolved case')}",
        ),
        Figure(
            "first-contact",
            "First-contact resolution",
            charts.shown(total.first_contact_resolution, charts.percent),
            "of resolved cases: not escalated, at most one public reply",
        ),
        Figure(
            "csat-escalated",
            "Satisfaction, escalated",
            charts.shown(csat["escalated"].mean, charts.score),
            f"mean score (1–5) of {_plural(csat['escalated'].responses, 'response')}",
        ),
        Figure(
            "csat-other",
            "Satisfaction, not escalated",
            charts.shown(csat["other"].mean, charts.score),
            f"mean score (1–5) of {_plural(csat['other'].responses, 'response')}",
        ),
    )


def _metric(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _sla(total: KpiSummary) -> tuple[Figure, ...]:
    return tuple(
        Figure(
            f"sla-{metric}",
            _metric(metric),
            charts.shown(total.sla[metric].compliance, charts.percent),
            f"{total.sla[metric].met} met, {total.sla[metric].breached} breached",
        )
        for metric in CLOCK_METRICS
        if metric in total.sla
    )


def _ola(total: KpiSummary) -> tuple[Figure, ...]:
    return tuple(
        Figure(
            f"ola-{team}",
            team,
            charts.shown(figures.compliance, charts.percent),
            f"{figures.met} met, {figures.breached} breached",
        )
        for team, figures in total.ola.items()
    )


_PARTY_WORDS = {"ours": "Our move", "customer": "The customer's", "third_party": "A third party's"}


def _time(total: KpiSummary) -> tuple[Figure, ...]:
    split = total.time
    if split is None or not split.cases:
        return ()
    whole = sum(split.parties.values())

    def share(hours: float) -> str:
        return f"{hours:,.1f} h" + (f", {hours / whole:.0%}" if whole else "")

    return (
        *(
            Figure(f"time-party-{party}", _PARTY_WORDS.get(party, party), share(hours), "")
            for party, hours in split.parties.items()
        ),
        *(
            Figure(f"time-team-{team}", f"With {team}", f"{hours:,.1f} h", "team")
            for team, hours in split.teams.items()
        ),
        *(
            Figure(f"time-level-{level}", f"At {level}", f"{hours:,.1f} h", "level")
            for level, hours in split.levels.items()
        ),
    )


def _layers(totals: dict[str, int], limit: int) -> list[str]:
    """The names with the most escalations first; past `limit`, the rest share the last layer."""
    names = sorted(totals, key=lambda name: (-totals[name], name))
    return names if len(names) <= limit else names[: limit - 1]


def _per_bucket(
    title: str,
    axis: Buckets,
    counts: list[dict[str, int]],
    totals: dict[str, int],
    rest: str,
) -> Chart:
    names = _layers(totals, STACKED_LAYERS)
    series = [Series(name, tuple(float(c.get(name, 0)) for c in counts)) for name in names]
    if len(names) < len(totals):
        kept = set(names)
        others = tuple(float(sum(n for name, n in c.items() if name not in kept)) for c in counts)
        series.append(Series(rest, others))
    return charts.stacked_bars(title, axis, series)


def _over(name: str, values: Iterable[float | None]) -> Series:
    return Series(name, tuple(values))


def _counts(values: Iterable[int]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def _sections(
    total: KpiSummary,
    axis: Buckets,
    parts: list[KpiSummary],
    pareto: list[root_causes.CauseCount],
    names: dict[str, str],
) -> tuple[Section, ...]:
    return (*_trends(total, axis, parts), *_breakdowns(total, axis, parts, pareto, names))


def _trends(total: KpiSummary, axis: Buckets, parts: list[KpiSummary]) -> tuple[Section, ...]:
    """The KPIs over time: escalation rate, time to resolve, SLA, satisfaction, first contact."""
    escalated = [p.resolution_time["escalated"] for p in parts]
    other = [p.resolution_time["other"] for p in parts]
    rate = charts.line_chart(
        "Escalation rate",
        axis,
        [_over("Escalated cases / cases opened", (p.escalation_rate for p in parts))],
        top=1,
        extra=[
            ("Escalated", _counts(p.escalated_cases for p in parts)),
            ("Opened", _counts(p.cases for p in parts)),
        ],
    )
    resolve = charts.line_chart(
        "Time to resolve (median business hours)",
        axis,
        [
            _over("Escalated", (q.median_hours for q in escalated)),
            _over("Not escalated", (q.median_hours for q in other)),
        ],
        fmt=charts.hours,
        extra=[
            ("Resolved, escalated", _counts(q.cases for q in escalated)),
            ("Resolved, other", _counts(q.cases for q in other)),
        ],
    )
    sla = charts.line_chart(
        "SLA compliance",
        axis,
        [
            _over(_metric(metric), (p.sla[metric].compliance for p in parts))
            for metric in CLOCK_METRICS
            if metric in total.sla
        ],
        top=1,
    )
    csat = charts.line_chart(
        "Customer satisfaction (mean score, 1–5)",
        axis,
        [
            _over("Escalated", (p.csat["escalated"].mean for p in parts)),
            _over("Not escalated", (p.csat["other"].mean for p in parts)),
        ],
        fmt=charts.score,
        top=5,
        extra=[
            ("Responses, escalated", _counts(p.csat["escalated"].responses for p in parts)),
            ("Responses, other", _counts(p.csat["other"].responses for p in parts)),
        ],
    )
    fcr = charts.line_chart(
        "First-contact resolution",
        axis,
        [_over("Share of resolved cases", (p.first_contact_resolution for p in parts))],
        top=1,
    )
    return (
        Section("escalation-rate", rate),
        Section("resolution-time", resolve),
        Section("sla-compliance", sla),
        Section("satisfaction", csat),
        Section("first-contact", fcr),
    )


def _breakdowns(
    total: KpiSummary,
    axis: Buckets,
    parts: list[KpiSummary],
    pareto: list[root_causes.CauseCount],
    names: dict[str, str],
) -> tuple[Section, ...]:
    """Escalations by rule and level (in all and over time), and root causes."""
    by_rule = charts.bar_chart(
        "Escalations by rule",
        [(name, float(n)) for name, n in total.escalations_by_rule.items()],
        heading="Rule",
        value_heading="Escalations",
    )
    by_level = charts.bar_chart(
        "Escalations by level reached",
        [(name, float(n)) for name, n in total.escalations_by_level.items()],
        heading="Level",
        value_heading="Escalations",
    )
    rules_over = _per_bucket(
        "Escalations by rule, over time",
        axis,
        [p.escalations_by_rule for p in parts],
        total.escalations_by_rule,
        "Other rules",
    )
    levels_over = _per_bucket(
        "Escalations by level, over time",
        axis,
        [p.escalations_by_level for p in parts],
        total.escalations_by_level,
        "Other levels",
    )
    causes = charts.bar_chart(
        "Root causes of resolved cases",
        [(cause.label, float(cause.cases)) for cause in pareto],
        heading="Root cause",
        value_heading="Cases",
    )
    escalated_causes = charts.bar_chart(
        "Root causes of escalated cases",
        [(cause.label, float(cause.escalated)) for cause in pareto if cause.escalated],
        heading="Root cause",
        value_heading="Escalated cases",
    )
    causes_over = _per_bucket(
        "Root causes, over time",
        axis,
        [_labelled(p.root_causes, names) for p in parts],
        _labelled(total.root_causes, names),
        "Other causes",
    )
    return (
        Section("by-rule", by_rule),
        Section("by-rule-over-time", rules_over),
        Section("by-level", by_level),
        Section("by-level-over-time", levels_over),
        Section("root-causes", causes),
        Section("root-causes-escalated", escalated_causes),
        Section("root-causes-over-time", causes_over),
    )


def _labelled(counted: dict[str, Any], names: dict[str, str]) -> dict[str, int]:
    """Cases per cause, by the cause's label."""
    found: dict[str, int] = {}
    for key, cause in counted.items():
        label = names.get(key, key)
        found[label] = found.get(label, 0) + cause.cases
    return found


# What each headline figure counts, as the case list's filters (besides the window's days).
_FIGURE_FILTERS: dict[str, dict[str, str]] = {
    "escalation-rate": {"escalated": "1"},
    "escalations": {"escalated": "1"},
    "resolve-escalated": {"escalated": "1", "status": "resolved"},
    "resolve-other": {"status": "resolved"},
    "first-contact": {"status": "resolved"},
}


def _linked(figures: tuple[Figure, ...], since: int, until: int) -> tuple[Figure, ...]:
    """The figures, each linked to the cases opened in the window that it counts."""
    window = {"opened_from": _day(since), "opened_to": _day(until - DAY_US)}
    return tuple(
        replace(figure, link=_queue_link(**window, **_FIGURE_FILTERS.get(figure.key, {})))
        for figure in figures
    )


def _queue_link(**wanted: str) -> str:
    """The dashboard's list of the cases a figure counted."""
    return f"/ui/queue?{urlencode({'status': 'any'} | wanted)}"


def _day(us: int) -> str:
    return from_us(us).date().isoformat()


def _cause_rows(
    pareto: list[root_causes.CauseCount], since: int, until: int
) -> tuple[CauseRow, ...]:
    window = {"opened_from": _day(since), "opened_to": _day(until - DAY_US)}
    return tuple(
        CauseRow(
            cause.label,
            cause.cases,
            cause.escalated,
            f"{cause.share:.0%}",
            f"{cause.cumulative:.0%}",
            _queue_link(cause=cause.key, **window),
            _queue_link(cause=cause.key, escalated="1", **window),
        )
        for cause in pareto
    )


def _rising_rows(found: list[root_causes.RisingCause], until: int) -> tuple[RisingRow, ...]:
    week = {"resolved_from": _day(until - root_causes.WEEK_US), "resolved_to": _day(until - DAY_US)}
    return tuple(
        RisingRow(
            cause.label,
            f"{_rate(cause.now, cause.now_total, 'resolution')} this week "
            f"({cause.rise.now:.0%}), against {cause.rise.before:.0%} "
            f"({cause.before} of {cause.before_total}) in the "
            f"{root_causes.WEEKS_BEFORE} weeks before",
            _queue_link(cause=cause.key, **week),
        )
        for cause in found
    )


def _days(since: int, until: int) -> dict[str, str]:
    """The case list's opened_from and opened_to for [since, until) in whole UTC days."""
    return {"opened_from": _day(since), "opened_to": _day(until - DAY_US)}


def topics(session: Session, *, scope: visibility.Scope) -> Topics | None:
    """The latest topic run's topics, new and growing ones first (None before the first run)."""
    found = topic_runs.latest(session, scope=scope)
    if found is None:
        return None
    cut = found.window
    moment = from_us(found.finished_at)
    return Topics(
        f"{_date(found.finished_at)} at {moment:%H:%M} UTC",
        "the worker" if found.source == "worker" else "escalon topics --store",
        f"{_date(cut.since)} – {_date(cut.until - DAY_US)}",
        f"{_date(cut.cut)} – {_date(cut.until - DAY_US)}",
        f"{_date(cut.since)} – {_date(cut.cut - DAY_US)}",
        found.cases,
        tuple(
            TopicRow(
                topic.id,
                topic.name,
                "new" if topic.new else "growing" if topic.growing else "",
                topic.period_cases,
                topic.earlier_cases,
                _queue_link(topic=str(topic.id), **_days(cut.cut, cut.until)),
                _queue_link(topic=str(topic.id), **_days(cut.since, cut.cut)),
                topic.samples,
            )
            for topic in found.topics
        ),
    )


def numbers(
    session: Session,
    *,
    now: int,
    days: int,
    bucket: str,
    scope: visibility.Scope = visibility.EVERYTHING,
) -> Numbers:
    """The page's figures and charts for the `days` days up to now, by `bucket` (day or week);
    the kudos (which name cases) only of the cases in `scope`."""
    cut = buckets(now, days, BUCKET_DAYS[bucket])
    total = summary(session, since=cut[0].since, until=cut[-1].until, now=now)
    parts = [
        summary(session, since=b.since, until=b.until, now=now, state=total.now, with_time=False)
        for b in cut
    ]
    axis = Buckets(
        bucket.capitalize(),
        tuple(b.short for b in cut),
        tuple(b.long for b in cut),
        # Every figure counts the cases opened in its bucket: those are the cases behind it.
        tuple(_queue_link(**_days(b.since, b.until)) for b in cut),
    )
    since, until = cut[0].since, cut[-1].until
    names = root_causes.labels(session)
    pareto = root_causes.pareto(session, opened_since=since, opened_until=until, names=names)
    rising = root_causes.rising_causes(session, until=until, names=names)
    return Numbers(
        days,
        bucket,
        tuple(WINDOWS.values()),
        f"{_date(since)} – {_date(until - DAY_US)}",
        _linked(_figures(total), since, until),
        _linked(_sla(total), since, until),
        _sections(total, axis, parts, pareto, names),
        _cause_rows(pareto, since, until),
        _rising_rows(rising, until),
        f"{_date(until - root_causes.WEEK_US)} – {_date(until - DAY_US)}",
        kudos_board.board(session, since=since, until=until, scope=scope),
        ola=_ola(total),
        time=_time(total),
    )


def _window(days: str | None, bucket: str | None) -> tuple[int, str] | str:
    """The window's days and bucket from the query, or what is wrong with them."""
    days_text = (days or "").strip()
    bucket_text = (bucket or "").strip()
    if days_text and days_text not in WINDOWS:
        return "The window must be 7, 30 or 90 days (for example ?days=90)."
    if bucket_text and bucket_text not in BUCKET_DAYS:
        return "The buckets must be by day or by week (?bucket=day or ?bucket=week)."
    chosen = WINDOWS[days_text] if days_text else DEFAULT_DAYS
    return chosen, bucket_text or ("day" if chosen <= DAILY_UP_TO else "week")


@router.get("/numbers", response_class=HTMLResponse)
def numbers_page(
    request: Request, parts: Parts, days: Param = None, bucket: Param = None
) -> Response:
    """Escalation rate, time to resolve, SLA, CSAT, escalations by rule and level, FCR."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        window = _window(days, bucket)
        if isinstance(window, str):
            return page(
                "notice.html", 400, title="Cannot show these numbers", text=window, visit=visit
            )
        scope = scope_of(session, visit, parts)
        content = numbers(
            session, now=parts.clock.now_us(), days=window[0], bucket=window[1], scope=scope
        )
        # Counts are the whole team's, as every figure here; typical cases only those in sight.
        content = replace(content, topics=topics(session, scope=scope))
    return page("numbers.html", visit=visit, numbers=content)
