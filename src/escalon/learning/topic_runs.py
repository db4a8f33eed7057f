"""Recurring topics among escalated cases, found by a run and stored for the numbers page.

A run groups the escalated cases opened in a window of whole UTC days (twelve weeks by default)
by their customers' words (`escalon.learning.topics`), one text per case, and stores the run,
its topics and each case's topic. Finding topics takes seconds to minutes, so no page request
does it: `escalon topics --store` runs one now, and the worker runs one at most once a UTC day,
when escalations came after the last run.

The worker's run of a day is claimed by a row with the unique key "daily:DAY" (the database says
who won, on SQLite and PostgreSQL alike) and a lease: a process that dies mid-run leaves a lease
that runs out, and the next look takes the run over (at most `MAX_ATTEMPTS` times). A run
finishes only while it still holds its claim, so a slow process that lost it stores nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from pydantic import BaseModel
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.models import Case, Escalation
from escalon.clock import Clock
from escalon.core.state import from_us
from escalon.core.statistics import rising
from escalon.database import Database
from escalon.database.base import table_of
from escalon.database.dialect import insert_ignoring_conflict
from escalon.database.leases import Claim, daily_key, take_over
from escalon.learning.models import RunTopic, TopicCase, TopicRun
from escalon.learning.sources import escalated_cases

if TYPE_CHECKING:  # finding topics loads scikit-learn: only a run needs it, never a page
    from escalon.learning.topics import Topics

log = logging.getLogger("escalon.learning")

DAY_US = 86_400_000_000
WEEK_US = 7 * DAY_US
WINDOW_WEEKS = 12
# "This period" is the window's last four weeks; the weeks before it are what it is compared to.
PERIOD_WEEKS = 4
# A run's process is presumed dead when it has not finished this long after its claim.
LEASE_US = 30 * 60 * 1_000_000
MAX_ATTEMPTS = 3
# Older runs are deleted: the latest is shown, and a few more keep recent links working.
KEEP_RUNS = 7
_SAMPLES = 3


class NoEscalatedCases(ValueError):
    """The window holds no escalated case to group."""


@dataclass(frozen=True, slots=True)
class Window:
    """Whole UTC days: escalated cases opened in [since, until), "this period" from `cut`."""

    since: int
    cut: int
    until: int


def window(now: int, weeks: int = WINDOW_WEEKS) -> Window:
    """The `weeks` weeks of UTC days up to and including today (the last four: this period)."""
    if weeks <= PERIOD_WEEKS:
        raise ValueError(f"a window is longer than the {PERIOD_WEEKS} weeks of its period")
    until = (now // DAY_US + 1) * DAY_US
    return Window(until - weeks * WEEK_US, until - PERIOD_WEEKS * WEEK_US, until)


def _escalation_mark(session: Session) -> int | None:
    """The newest escalation record (the id of the last case moved up)."""
    found = session.scalar(select(func.max(Escalation.id)).where(Escalation.action == "escalate"))
    return None if found is None else int(found)


def _latest_done(session: Session) -> TopicRun | None:
    return session.scalars(
        select(TopicRun).where(TopicRun.status == "done").order_by(TopicRun.id.desc()).limit(1)
    ).first()


def needs_refresh(session: Session) -> bool:
    """Whether cases were escalated after the latest finished run read its cases."""
    mark = _escalation_mark(session)
    if mark is None:
        return False
    latest = _latest_done(session)
    return latest is None or latest.escalation_mark is None or mark > latest.escalation_mark


def _new_run(session: Session, *, now: int, weeks: int, source: str, key: str | None) -> int:
    cut = window(now, weeks)
    values = {
        "source": source,
        "status": "running",
        "claim_key": key,
        "attempts": 1,
        "lease_until": now + LEASE_US,
        "started_at": now,
        "window_start": cut.since,
        "period_start": cut.cut,
        "window_end": cut.until,
        "cases": 0,
        "period_cases": 0,
        "earlier_cases": 0,
        "topics": 0,
    }
    if key is None:
        return int(session.scalars(insert(TopicRun).returning(TopicRun.id), [values]).one())
    found = session.scalar(
        insert_ignoring_conflict(session, TopicRun).values(**values).returning(TopicRun.id)
    )
    return 0 if found is None else int(found)


def start(session: Session, *, now: int, weeks: int = WINDOW_WEEKS) -> Claim:
    """A run asked for by a person (`escalon topics --store`), whenever they ask."""
    return Claim(_new_run(session, now=now, weeks=weeks, source="command", key=None), 1)


def claim_daily(session: Session, *, now: int, weeks: int = WINDOW_WEEKS) -> Claim | None:
    """Today's worker run for this process, or None: another took it (and holds its lease),
    it is done, or it failed too often."""
    key = daily_key(now)
    run_id = _new_run(session, now=now, weeks=weeks, source="worker", key=key)
    if run_id:
        return Claim(run_id, 1)
    # Taken: take it over only when its lease ran out; of processes trying at once, the one
    # whose conditional update returns the row has it.
    return take_over(
        session,
        TopicRun,
        key=key,
        now=now,
        lease_us=LEASE_US,
        max_attempts=MAX_ATTEMPTS,
        log=log,
    )


@dataclass(frozen=True, slots=True)
class Stored:
    """What a finished run found."""

    run_id: int
    cases: int
    topics: int


def _today_taken(session: Session, now: int) -> bool:
    """Whether today's worker run is done, failed, or running under a live lease."""
    found = session.execute(
        select(TopicRun.status, TopicRun.lease_until).where(TopicRun.claim_key == daily_key(now))
    ).first()
    if found is None:
        return False
    status, lease_until = found
    return status != "running" or (lease_until is not None and lease_until >= now)


def refresh(database: Database, *, clock: Clock) -> Stored | None:
    """The worker's look: a run when cases were escalated since the last one and today's run is
    free to take; None when there is nothing to do. Most looks only read."""
    now = clock.now_us()
    with database.read() as session:
        if not needs_refresh(session) or _today_taken(session, now):
            return None
    with database.write() as session:
        claim = claim_daily(session, now=now)
    if claim is None:
        return None
    try:
        return complete(database, claim, clock=clock)
    except NoEscalatedCases:
        return None


def store_now(
    database: Database,
    *,
    clock: Clock,
    weeks: int = WINDOW_WEEKS,
    count: int | None = None,
    seed: int = 0,
) -> Stored:
    """A run now, whatever the worker did today (NoEscalatedCases when the window has none)."""
    with database.write() as session:
        claim = start(session, now=clock.now_us(), weeks=weeks)
    found = complete(database, claim, clock=clock, count=count, seed=seed)
    if found is None:  # only a worker's run can be taken over
        raise RuntimeError(f"topic run {claim.run_id} was taken over")
    return found


def complete(
    database: Database,
    claim: Claim,
    *,
    clock: Clock,
    count: int | None = None,
    seed: int = 0,
) -> Stored | None:
    """Read the claimed run's cases, find their topics (at most `count`, the finder's default
    without it) and store them; None when the claim was lost meanwhile. A failure is written on
    the run and raised again."""
    from escalon.learning import topics as finder

    try:
        with database.read() as session:
            run = session.get(TopicRun, claim.run_id)
            if run is None:
                return None
            cut = Window(run.window_start, run.period_start, run.window_end)
            mark = _escalation_mark(session)
            texts = escalated_cases(session, opened_since=cut.since, opened_until=cut.until)
            opened = _opened(session, [int(text.id) for text in texts])
        if not texts:
            raise NoEscalatedCases("no escalated case was opened in the window")
        found = finder.find_topics(
            [text.text for text in texts], count or finder.DEFAULT_TOPICS, seed
        )
    except Exception as error:
        _failed(database, claim, clock.now_us(), error)
        raise
    case_ids = [int(text.id) for text in texts]
    with database.write() as session:
        return _finish(session, claim, cut, case_ids, opened, found, mark, clock.now_us())


def _opened(session: Session, case_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start_at in range(0, len(case_ids), 1000):
        chunk = case_ids[start_at : start_at + 1000]
        rows = session.execute(select(Case.id, Case.opened_at).where(Case.id.in_(chunk)))
        found.update({int(case_id): int(at) for case_id, at in rows})
    return found


def _failed(database: Database, claim: Claim, now: int, error: BaseException) -> None:
    runs = table_of(TopicRun)
    with database.write() as session:
        session.execute(
            update(runs)
            .where(
                runs.c.id == claim.run_id,
                runs.c.attempts == claim.attempt,
                runs.c.status == "running",
            )
            .values(status="failed", finished_at=now, lease_until=None, error=repr(error)[:500])
        )


def _finish(
    session: Session,
    claim: Claim,
    cut: Window,
    case_ids: list[int],
    opened: dict[int, int],
    found: Topics,
    mark: int | None,
    now: int,
) -> Stored | None:
    recent = [opened[case_id] >= cut.cut for case_id in case_ids]
    runs = table_of(TopicRun)
    held = session.execute(
        update(runs)
        .where(
            runs.c.id == claim.run_id,
            runs.c.attempts == claim.attempt,
            runs.c.status == "running",
        )
        .values(
            status="done",
            finished_at=now,
            lease_until=None,
            cases=len(case_ids),
            period_cases=sum(recent),
            earlier_cases=len(case_ids) - sum(recent),
            topics=len(found.topics),
            escalation_mark=mark,
        )
        .returning(runs.c.id)
    ).first()
    if held is None:
        log.warning("topics: run %s was taken over; its result is dropped", claim.run_id)
        return None
    topic_ids: dict[int, int] = {}
    for topic in found.topics:
        members = [i for i, number in enumerate(found.assigned) if number == topic.number]
        period = sum(1 for i in members if recent[i])
        topic_ids[topic.number] = int(
            session.scalars(
                insert(RunTopic).returning(RunTopic.id),
                [
                    {
                        "run_id": claim.run_id,
                        "number": topic.number,
                        "words": list(topic.words),
                        "cases": len(members),
                        "period_cases": period,
                        "earlier_cases": len(members) - period,
                        "samples": [case_ids[i] for i in topic.samples[:_SAMPLES]],
                    }
                ],
            ).one()
        )
    rows = [
        {"run_id": claim.run_id, "case_id": case_id, "topic_id": topic_ids[number]}
        for case_id, number in zip(case_ids, found.assigned, strict=True)
        if number
    ]
    if rows:
        session.execute(insert(TopicCase), rows)
    _prune(session)
    return Stored(claim.run_id, len(case_ids), len(found.topics))


def _prune(session: Session) -> None:
    """Delete finished runs older than the latest `KEEP_RUNS` (running ones stay)."""
    kept = select(TopicRun.id).order_by(TopicRun.id.desc()).limit(KEEP_RUNS).scalar_subquery()
    old = list(
        session.scalars(
            select(TopicRun.id).where(TopicRun.status != "running", TopicRun.id.not_in(kept))
        )
    )
    if not old:
        return
    session.execute(delete(TopicCase).where(TopicCase.run_id.in_(old)))
    session.execute(delete(RunTopic).where(RunTopic.run_id.in_(old)))
    session.execute(delete(TopicRun).where(TopicRun.id.in_(old)))


# -- reading the latest run ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicCount:
    """A topic of the latest run as people read it: counts, and whether it is new or growing."""

    id: int
    number: int
    words: tuple[str, ...]
    cases: int
    period_cases: int
    earlier_cases: int
    new: bool
    growing: bool
    samples: tuple[int, ...]  # the most typical cases the reader may see

    @property
    def name(self) -> str:
        """The topic's distinctive words."""
        return name_of(self.words)


@dataclass(frozen=True, slots=True)
class LatestRun:
    """The latest finished run and its topics: new ones first, then growing ones, then by size."""

    id: int
    source: str
    started_at: int
    finished_at: int
    window: Window
    cases: int
    period_cases: int
    earlier_cases: int
    topics: tuple[TopicCount, ...]


def marked(topic: RunTopic, run: TopicRun, samples: tuple[int, ...] = ()) -> TopicCount:
    """A stored topic with its marks: new (no case before this period, when the weeks before
    had cases at all) or growing (`escalon.core.statistics.rising`: clearly, not by a case
    or two)."""
    new = topic.period_cases > 0 and topic.earlier_cases == 0 and run.earlier_cases > 0
    grows = rising(topic.period_cases, run.period_cases, topic.earlier_cases, run.earlier_cases)
    return TopicCount(
        topic.id,
        topic.number,
        tuple(topic.words),
        topic.cases,
        topic.period_cases,
        topic.earlier_cases,
        new,
        not new and grows is not None,
        samples,
    )


def _order(topic: TopicCount) -> tuple[int, int, int]:
    return (0 if topic.new else 1 if topic.growing else 2, -topic.cases, topic.number)


def latest(
    session: Session, *, scope: visibility.Scope, run_id: int | None = None
) -> LatestRun | None:
    """The latest finished run (or run `run_id`; None before the first), its typical cases cut
    to `scope`."""
    run = _latest_done(session) if run_id is None else session.get(TopicRun, run_id)
    if run is None or run.status != "done":
        return None
    stored = list(
        session.scalars(select(RunTopic).where(RunTopic.run_id == run.id).order_by(RunTopic.number))
    )
    seen = _visible(session, scope, [case_id for topic in stored for case_id in topic.samples])
    topics = sorted(
        (marked(topic, run, tuple(c for c in topic.samples if c in seen)) for topic in stored),
        key=_order,
    )
    return LatestRun(
        run.id,
        run.source,
        run.started_at,
        run.finished_at or run.started_at,
        Window(run.window_start, run.period_start, run.window_end),
        run.cases,
        run.period_cases,
        run.earlier_cases,
        tuple(topics),
    )


def _visible(session: Session, scope: visibility.Scope, case_ids: list[int]) -> set[int]:
    if not case_ids:
        return set()
    query = select(Case.id).where(Case.id.in_(case_ids))
    if (condition := scope.where()) is not None:
        query = query.where(condition)
    return {int(case_id) for case_id in session.scalars(query)}


def name_of(words: Sequence[str]) -> str:
    """A topic as people read it: its distinctive words."""
    return ", ".join(words) if words else "(no distinctive words)"


def topic_name(session: Session, topic_id: int) -> str | None:
    """A stored topic's name (None when no kept run has it)."""
    found = session.scalar(select(RunTopic.words).where(RunTopic.id == topic_id))
    return None if found is None else name_of(found)


# -- the API's answer ----------------------------------------------------------------------------


class TopicOut(BaseModel):
    """A recurring topic of the latest run, with its counts and the case list behind each."""

    id: int
    number: int
    name: str
    words: list[str]
    cases: int
    period_cases: int
    earlier_cases: int
    new: bool
    growing: bool
    typical_cases: list[int]
    # `GET /api/v1/cases` with `topic` (and the period's days): exactly the counted cases.
    cases_url: str
    period_url: str
    earlier_url: str


class TopicRunOut(BaseModel):
    """When and over what a run grouped escalated cases."""

    id: int
    source: str
    started_at: datetime
    finished_at: datetime
    window_start: datetime
    period_start: datetime
    window_end: datetime
    cases: int
    period_cases: int
    earlier_cases: int


class TopicsOut(BaseModel):
    """The latest run's topics (new, then growing, then by size), or why there are none."""

    run: TopicRunOut | None
    topics: list[TopicOut]
    note: str | None = None


NO_RUN_YET = "no topics yet: run `escalon topics --store`, or wait for the worker"


def _cases_url(topic_id: int, since: int | None = None, until: int | None = None) -> str:
    wanted: dict[str, object] = {"topic": topic_id}
    if since is not None and until is not None:
        wanted |= {
            "opened_after": from_us(since).isoformat(),
            "opened_before": from_us(until).isoformat(),
        }
    return f"/api/v1/cases?{urlencode(wanted)}"


def topics_out(found: LatestRun | None) -> TopicsOut:
    """The latest run as the API shows it."""
    if found is None:
        return TopicsOut(run=None, topics=[], note=NO_RUN_YET)
    cut = found.window
    run = TopicRunOut(
        id=found.id,
        source=found.source,
        started_at=from_us(found.started_at),
        finished_at=from_us(found.finished_at),
        window_start=from_us(cut.since),
        period_start=from_us(cut.cut),
        window_end=from_us(cut.until),
        cases=found.cases,
        period_cases=found.period_cases,
        earlier_cases=found.earlier_cases,
    )
    return TopicsOut(
        run=run,
        topics=[
            TopicOut(
                id=topic.id,
                number=topic.number,
                name=topic.name,
                words=list(topic.words),
                cases=topic.cases,
                period_cases=topic.period_cases,
                earlier_cases=topic.earlier_cases,
                new=topic.new,
                growing=topic.growing,
                typical_cases=list(topic.samples),
                cases_url=_cases_url(topic.id),
                period_url=_cases_url(topic.id, cut.cut, cut.until),
                earlier_url=_cases_url(topic.id, cut.since, cut.cut),
            )
            for topic in found.topics
        ],
    )
