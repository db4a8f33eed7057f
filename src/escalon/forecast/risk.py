"""Escalation risk at intake, learnt from the team's own history.

A case is labelled escalated when it was ever moved up (by a rule or by a person: an
`escalations` record with action "escalate"). Its features are what was known when it opened
(`escalon.core.forecast.risk.IntakeFacts`): the opening fields as the `case.opened` audit entry
kept them (so a priority raised later does not leak the answer), what the detector reads in the
opening text, and the customer's earlier cases. Fitting (scikit-learn's logistic regression) is
judged on a later window than it learnt from, never on a random share, and stored as JSON
coefficients; scoring a new case is a dot product (`escalon.core.forecast.risk.score`).

`escalon risk train` fits now; the worker fits at most once a UTC day, claimed with a lease like
the topic runs (`escalon.learning.topic_runs`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.models import AuditEntry, Case, Escalation, Message
from escalon.cases.schemas import (
    EscalationRiskOut,
    LikelyEscalationOut,
    LikelyEscalationsOut,
    RiskModelOut,
)
from escalon.clock import Clock
from escalon.core.forecast import judging
from escalon.core.forecast import risk as arithmetic
from escalon.core.forecast.risk import HISTORY_US, RECENT_US, IntakeFacts, RiskModel
from escalon.core.signals import TextAnalyzer
from escalon.core.state import from_us
from escalon.database import Database
from escalon.database.base import table_of
from escalon.database.dialect import insert_ignoring_conflict
from escalon.database.leases import Claim, daily_key, take_over
from escalon.forecast.models import CaseRisk, RiskModelRun

log = logging.getLogger("escalon.forecast")

DAY_US = arithmetic.DAY_US
# The history a fitting reads: cases opened in the last 26 weeks (and the 90 days before, for
# their customers' earlier cases).
DEFAULT_WEEKS = 26
# The later window the model is judged on: the newest quarter of the cases, by opening time.
TEST_SHARE = 0.25
# Too little history gives a number nobody should trust: no model below these.
MIN_CASES = 100
MIN_EACH = 10
# A category, tier... seen fewer times than this is not learnt from (it would be noise).
MIN_SEEN = 3
LEASE_US = 30 * 60 * 1_000_000
MAX_ATTEMPTS = 3
KEEP_RUNS = 7
ENDED = ("resolved", "closed")
_CHUNK = 1000


class TooLittleHistory(ValueError):
    """Not enough cases with a known outcome (or not both outcomes) to fit a model."""


class Stopped(Exception):
    """The process is shutting down: the fitting gives its claim back for another look."""


def _never() -> bool:
    return False


# How many cases are read between two looks at whether the process is shutting down: a worker
# asked to stop must not wait for a whole history to be read.
_STOP_EVERY = 500


@dataclass(frozen=True, slots=True)
class Example:
    """A case of the history: when it opened, what was known then, and how it ended."""

    case_id: int
    opened_at: int
    facts: IntakeFacts
    escalated: bool
    # Whether the outcome is known: it was escalated, or it ended without.
    settled: bool
    # Open and never escalated: a case the "likely escalations" list is about.
    watched: bool


# -- reading the history -------------------------------------------------------------------------


def _chunks(values: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def opening_text(subject: str | None, body: str | None) -> str:
    """The text the engine reads when a case opens: its subject and body."""
    return f"{subject}\n{body or ''}" if subject else body or ""


def signals_of(analyzer: TextAnalyzer | None, text: str) -> tuple[frozenset[str], float]:
    """The intents and sentiment the detector reads in an opening text."""
    if analyzer is None or not text.strip():
        return frozenset(), 0.0
    found = analyzer.analyze(text)
    return found.intents, found.sentiment


def read_history(
    session: Session,
    *,
    analyzer: TextAnalyzer | None,
    now: int,
    weeks: int = DEFAULT_WEEKS,
    stopping: Callable[[], bool] = _never,
) -> list[Example]:
    """The cases opened in the last `weeks` weeks up to `now`, oldest first, as examples;
    Stopped as soon as `stopping()` says so."""
    since = now - weeks * arithmetic.WEEK_US
    rows = session.execute(
        select(
            Case.id,
            Case.customer_id,
            Case.opened_at,
            Case.status,
            Case.reopened,
            Case.channel,
            Case.tier,
            Case.category,
        )
        .where(Case.opened_at >= since - HISTORY_US, Case.opened_at <= now)
        .order_by(Case.opened_at, Case.id)
    ).all()
    ids = [int(row.id) for row in rows]
    opened: dict[int, dict[str, Any]] = {}
    texts: dict[int, str] = {}
    escalated_at: dict[int, int] = {}
    for chunk in _chunks(ids):
        if stopping():
            raise Stopped
        for case_id, data in session.execute(
            select(AuditEntry.case_id, AuditEntry.data).where(
                AuditEntry.case_id.in_(chunk), AuditEntry.kind == "case.opened"
            )
        ):
            opened.setdefault(int(case_id), data or {})
        first = (
            select(func.min(Message.id))
            .where(Message.case_id.in_(chunk), Message.author_kind == "customer")
            .group_by(Message.case_id)
        )
        for case_id, subject, body in session.execute(
            select(Message.case_id, Message.subject, Message.body).where(Message.id.in_(first))
        ):
            texts[int(case_id)] = opening_text(subject, body)
        for case_id, at in session.execute(
            select(Escalation.case_id, func.min(Escalation.at))
            .where(Escalation.case_id.in_(chunk), Escalation.action == "escalate")
            .group_by(Escalation.case_id)
        ):
            escalated_at[int(case_id)] = int(at)
    earlier: dict[int, list[tuple[int, int | None, int]]] = defaultdict(list)
    found: list[Example] = []
    for index, row in enumerate(rows):
        if index % _STOP_EVERY == 0 and stopping():
            raise Stopped
        case_id, at = int(row.id), int(row.opened_at)
        before = [item for item in earlier[int(row.customer_id)] if item[0] > at - HISTORY_US]
        earlier[int(row.customer_id)] = before
        if at >= since:
            # The opening's audit entry says what intake knew (a field it lacks was not given);
            # the case's columns, which people may have changed since, only stand in without one.
            data = opened.get(case_id) or {
                "channel": row.channel,
                "tier": row.tier,
                "category": row.category,
            }
            intents, sentiment = signals_of(analyzer, texts.get(case_id, ""))
            facts = IntakeFacts(
                channel=data.get("channel"),
                tier=data.get("tier"),
                category=data.get("category"),
                # The priority asked for at opening: a priority raised later would tell the answer.
                priority=data.get("priority"),
                intents=intents,
                sentiment=sentiment,
                recent_contacts=sum(1 for item in before if item[0] > at - RECENT_US),
                earlier_cases=len(before),
                earlier_escalations=sum(
                    1 for item in before if item[1] is not None and item[1] < at
                ),
                # Reopenings as counted now: a history read later may count one that came after.
                earlier_reopenings=sum(item[2] for item in before),
                hour_of_week=arithmetic.hour_of_week(at),
            )
            moved = case_id in escalated_at
            found.append(
                Example(
                    case_id,
                    at,
                    facts,
                    moved,
                    moved or row.status in ENDED,
                    not moved and row.status not in ENDED,
                )
            )
        before.append((at, escalated_at.get(case_id), int(row.reopened or 0)))
    return found


# -- fitting and judging -------------------------------------------------------------------------


def _check(examples: Sequence[Example], what: str) -> None:
    escalated = sum(1 for example in examples if example.escalated)
    if len(examples) < MIN_CASES or min(escalated, len(examples) - escalated) < MIN_EACH:
        raise TooLittleHistory(
            f"{what}: {len(examples)} case(s) with a known outcome, {escalated} escalated; "
            f"a model needs {MIN_CASES} cases and {MIN_EACH} of each outcome"
        )


def fit(examples: Sequence[Example], *, trained_at: int, c: float = 1.0) -> RiskModel:
    """A logistic regression of escalation on the features at intake (scikit-learn, loaded
    here only)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    labels = [example.escalated for example in examples]
    if len(set(labels)) < 2:
        raise TooLittleHistory("the cases have only one outcome: nothing to learn")
    rows = [arithmetic.features(example.facts) for example in examples]
    seen: dict[str, int] = defaultdict(int)
    for row in rows:
        for name in row:
            seen[name] += 1
    names = sorted(name for name, count in seen.items() if count >= MIN_SEEN)
    column = {name: index for index, name in enumerate(names)}
    matrix = np.zeros((len(rows), max(1, len(names))))
    for i, row in enumerate(rows):
        for name, value in row.items():
            if name in column:
                matrix[i, column[name]] = value
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(matrix, np.array(labels, dtype=int))
    weights = {name: float(model.coef_[0][column[name]]) for name in names}
    return RiskModel(
        intercept=float(model.intercept_[0]),
        weights=weights,
        base_rate=sum(labels) / len(labels),
        cases=len(labels),
        trained_at=trained_at,
    )


def time_split(
    examples: Sequence[Example], test_share: float = TEST_SHARE
) -> tuple[list[Example], list[Example]]:
    """The earlier cases to learn from and the later ones to judge on (by opening time; cases
    opened at the same instant stay on one side)."""
    if not 0 < test_share < 1:
        raise ValueError("test_share: a share between 0 and 1")
    ordered = sorted(examples, key=lambda example: (example.opened_at, example.case_id))
    if not ordered:
        return [], []
    cut = ordered[min(len(ordered) - 1, int(len(ordered) * (1 - test_share)))].opened_at
    return (
        [example for example in ordered if example.opened_at < cut],
        [example for example in ordered if example.opened_at >= cut],
    )


def _figures(labels: Sequence[bool], scores: Sequence[float]) -> dict[str, float | None]:
    found_auc = judging.auc(labels, scores)
    found_brier = judging.brier(labels, scores)
    return {
        "auc": None if found_auc is None else round(found_auc, 4),
        "brier": None if found_brier is None else round(found_brier, 4),
    }


def priority_rates(examples: Sequence[Example], base_rate: float) -> dict[str | None, float]:
    """The baseline that knows only the priority: each priority's escalated share, pulled
    towards the base rate when it has few cases (as if 5 cases at the base rate were added)."""
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for example in examples:
        counts[example.facts.priority][0] += int(example.escalated)
        counts[example.facts.priority][1] += 1
    return {key: (hit + 5 * base_rate) / (total + 5) for key, (hit, total) in counts.items()}


def evaluate(
    examples: Sequence[Example], *, trained_at: int, test_share: float = TEST_SHARE
) -> dict[str, Any]:
    """Fit on the earlier cases and judge on the later window: AUC, Brier, the reliability
    table, and the same figures for the base rate and for the priority alone."""
    train, test = time_split(examples, test_share)
    _check(train, "the earlier window")
    if not test or len({example.escalated for example in test}) < 2:
        raise TooLittleHistory("the later window has no case of one of the outcomes")
    model = fit(train, trained_at=trained_at)
    labels = [example.escalated for example in test]
    scores = [arithmetic.score(model, example.facts).probability for example in test]
    rates = priority_rates(train, model.base_rate)
    by_priority = [rates.get(example.facts.priority, model.base_rate) for example in test]
    return {
        "split": "time",
        "train_cases": len(train),
        "train_escalated": sum(1 for example in train if example.escalated),
        "test_cases": len(test),
        "test_escalated": sum(labels),
        "test_from": from_us(test[0].opened_at).isoformat(),
        "test_until": from_us(test[-1].opened_at).isoformat(),
        "model": _figures(labels, scores),
        "baselines": {
            "base_rate": _figures(labels, [model.base_rate] * len(labels)),
            "priority": _figures(labels, by_priority),
        },
        "reliability": [
            {
                "low": round(found.low, 2),
                "high": round(found.high, 2),
                "cases": found.cases,
                "predicted": round(found.predicted, 4),
                "observed": round(found.observed, 4),
            }
            for found in judging.reliability(labels, scores)
        ],
    }


@dataclass(frozen=True, slots=True)
class Trained:
    """A fitted model, how it did on the later window, and what it learnt from."""

    model: RiskModel
    evaluation: dict[str, Any]
    cases: int
    escalated: int


def train(
    examples: Sequence[Example], *, trained_at: int, test_share: float = TEST_SHARE
) -> Trained:
    """Judge the method on the later window, then fit on every settled case for use."""
    settled = [example for example in examples if example.settled]
    _check(settled, "the history")
    evaluation = evaluate(settled, trained_at=trained_at, test_share=test_share)
    model = fit(settled, trained_at=trained_at)
    model = RiskModel(
        model.intercept, model.weights, model.base_rate, model.cases, trained_at, evaluation
    )
    escalated = sum(1 for example in settled if example.escalated)
    return Trained(model, evaluation, len(settled), escalated)


# -- runs: claimed, stored, pruned ---------------------------------------------------------------


def _new_run(session: Session, *, now: int, source: str, key: str | None) -> int:
    values = {
        "source": source,
        "status": "running",
        "claim_key": key,
        "attempts": 1,
        "lease_until": now + LEASE_US,
        "started_at": now,
        "cases": 0,
        "escalated": 0,
    }
    if key is None:
        return int(session.scalars(insert(RiskModelRun).returning(RiskModelRun.id), [values]).one())
    found = session.scalar(
        insert_ignoring_conflict(session, RiskModelRun).values(**values).returning(RiskModelRun.id)
    )
    return 0 if found is None else int(found)


def claim_daily(session: Session, *, now: int) -> Claim | None:
    """Today's worker fitting for this process, or None: another holds it, it is over, or it
    failed too often. A run whose lease ran out is taken over by one process only."""
    key = daily_key(now)
    run_id = _new_run(session, now=now, source="worker", key=key)
    if run_id:
        return Claim(run_id, 1)
    return take_over(
        session,
        RiskModelRun,
        key=key,
        now=now,
        lease_us=LEASE_US,
        max_attempts=MAX_ATTEMPTS,
        log=log,
    )


def _today_taken(session: Session, now: int) -> bool:
    found = session.execute(
        select(RiskModelRun.status, RiskModelRun.lease_until).where(
            RiskModelRun.claim_key == daily_key(now)
        )
    ).first()
    if found is None:
        return False
    status, lease_until = found
    return status != "running" or (lease_until is not None and lease_until >= now)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a fitting did: its run, the model (None: too little history) and why not."""

    run_id: int
    trained: Trained | None
    note: str | None = None
    rescored: int = 0


def refresh(
    database: Database,
    *,
    clock: Clock,
    analyzer: TextAnalyzer | None,
    stopping: Callable[[], bool] = _never,
) -> Outcome | None:
    """The worker's look: today's fitting when nobody took it yet; None otherwise (and when
    `stopping()` said to stop before it was done)."""
    now = clock.now_us()
    with database.read() as session:
        if _today_taken(session, now):
            return None
    with database.write() as session:
        claim = claim_daily(session, now=now)
    if claim is None:
        return None
    return complete(database, claim, clock=clock, analyzer=analyzer, stopping=stopping)


def train_now(
    database: Database,
    *,
    clock: Clock,
    analyzer: TextAnalyzer | None,
    weeks: int = DEFAULT_WEEKS,
    test_share: float = TEST_SHARE,
) -> Outcome:
    """A fitting now, whatever the worker did today (`escalon risk train`)."""
    with database.write() as session:
        claim = Claim(_new_run(session, now=clock.now_us(), source="command", key=None), 1)
    found = complete(
        database, claim, clock=clock, analyzer=analyzer, weeks=weeks, test_share=test_share
    )
    if found is None:  # only a worker's run can be taken over
        raise RuntimeError(f"risk fitting {claim.run_id} was taken over")
    return found


def complete(
    database: Database,
    claim: Claim,
    *,
    clock: Clock,
    analyzer: TextAnalyzer | None,
    weeks: int = DEFAULT_WEEKS,
    test_share: float = TEST_SHARE,
    stopping: Callable[[], bool] = _never,
) -> Outcome | None:
    """Read the history, fit, judge, store the model and re-score the open cases; None when
    the claim was lost meanwhile, or given back because `stopping()` said to stop. A failure is
    written on the run and raised again."""
    now = clock.now_us()
    try:
        with database.read() as session:
            examples = read_history(
                session, analyzer=analyzer, now=now, weeks=weeks, stopping=stopping
            )
        if stopping():
            raise Stopped
        try:
            trained: Trained | None = train(examples, trained_at=now, test_share=test_share)
            note = None
        except TooLittleHistory as error:
            trained, note = None, str(error)
        if stopping():
            raise Stopped
    except Stopped:
        _give_back(database, claim, clock.now_us())
        return None
    except Exception as error:
        _failed(database, claim, clock.now_us(), error)
        raise
    with database.write() as session:
        if not _finish(session, claim, trained, note, clock.now_us()):
            log.warning("risk: fitting %s was taken over; its result is dropped", claim.run_id)
            return None
        rescored = 0
        if trained is not None:
            watched = [example for example in examples if example.watched]
            rescored = rescore(session, claim.run_id, trained.model, watched, clock.now_us())
        _prune(session)
    return Outcome(claim.run_id, trained, note, rescored)


def _finish(
    session: Session, claim: Claim, trained: Trained | None, note: str | None, now: int
) -> bool:
    runs = table_of(RiskModelRun)
    values: dict[str, Any] = {"finished_at": now, "lease_until": None}
    if trained is None:
        values |= {"status": "too_little", "error": note}
    else:
        values |= {
            "status": "done",
            "cases": trained.cases,
            "escalated": trained.escalated,
            "model": arithmetic.to_json(trained.model),
            "evaluation": trained.evaluation,
        }
    held = session.execute(
        update(runs)
        .where(
            runs.c.id == claim.run_id,
            runs.c.attempts == claim.attempt,
            runs.c.status == "running",
        )
        .values(**values)
        .returning(runs.c.id)
    ).first()
    return held is not None


def _give_back(database: Database, claim: Claim, now: int) -> None:
    """Let the next look (of any worker) take the fitting over: its lease ends now."""
    runs = table_of(RiskModelRun)
    with database.write() as session:
        session.execute(
            update(runs)
            .where(
                runs.c.id == claim.run_id,
                runs.c.attempts == claim.attempt,
                runs.c.status == "running",
            )
            .values(lease_until=now - 1)
        )
    log.info("risk: fitting %s given back: the process is stopping", claim.run_id)


def _failed(database: Database, claim: Claim, now: int, error: BaseException) -> None:
    runs = table_of(RiskModelRun)
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


def _prune(session: Session) -> None:
    """Keep the latest `KEEP_RUNS` finished fittings (the scores name their model by id)."""
    kept = (
        select(RiskModelRun.id).order_by(RiskModelRun.id.desc()).limit(KEEP_RUNS).scalar_subquery()
    )
    session.execute(
        delete(RiskModelRun).where(RiskModelRun.status != "running", RiskModelRun.id.not_in(kept))
    )


def rescore(
    session: Session, model_id: int, model: RiskModel, examples: Sequence[Example], now: int
) -> int:
    """Score the open, never escalated cases with a new model (from their facts at intake)."""
    ids = [example.case_id for example in examples]
    for chunk in _chunks(ids):
        session.execute(delete(CaseRisk).where(CaseRisk.case_id.in_(chunk)))
    rows = [risk_row(example.case_id, model_id, model, example.facts, now) for example in examples]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(CaseRisk), rows[start : start + _CHUNK])
    return len(rows)


# -- the model in use ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InUse:
    """The newest stored model and its run's id."""

    run_id: int
    model: RiskModel


def in_use(session: Session) -> InUse | None:
    """The newest fitted model (None before the first, or when it cannot be read). Its id is
    read each time, its coefficients only when the cache does not hold them yet."""
    run_id = session.scalar(
        select(RiskModelRun.id)
        .where(RiskModelRun.status == "done")
        .order_by(RiskModelRun.id.desc())
        .limit(1)
    )
    if run_id is None:
        return None
    cache = session.info.get(ModelCache.KEY)
    kept = cache.held if isinstance(cache, ModelCache) else None
    if kept is not None and kept.run_id == run_id:
        return kept
    stored = session.scalar(select(RiskModelRun.model).where(RiskModelRun.id == run_id))
    try:
        held = InUse(int(run_id), arithmetic.from_json(stored))
    except arithmetic.BadModel as error:
        log.warning("risk: stored model %s cannot be read: %s", run_id, error)
        return None
    if isinstance(cache, ModelCache):
        cache.keep(held)
    return held


class ModelCache:
    """The newest model read, kept per database so intake reads its id, not its JSON."""

    KEY = "escalon.risk_model"

    def __init__(self) -> None:
        # One attribute, replaced whole: request threads read it without a lock.
        self.held: InUse | None = None

    def keep(self, held: InUse) -> None:
        """Remember the model read last (a newer one replaces it)."""
        self.held = held

    def install(self, info: dict[Any, Any]) -> None:
        """Keep this cache in a database's `info` (every session sees it)."""
        info[self.KEY] = self


def risk_row(
    case_id: int, model_id: int, model: RiskModel, facts: IntakeFacts, now: int
) -> dict[str, Any]:
    """A `case_risks` row: the probability and its signals as JSON."""
    found = arithmetic.score(model, facts)
    return {
        "case_id": case_id,
        "model_id": model_id,
        "probability": round(found.probability, 6),
        "signals": [
            {"feature": s.feature, "words": s.words, "contribution": s.contribution}
            for s in found.signals
        ],
        "scored_at": now,
    }


def customer_history(session: Session, *, customer_id: int, now: int) -> tuple[int, int, int, int]:
    """The customer's cases opened in the 90 days before `now`: how many, how many in the
    last 7 days, how many were escalated, how often they were reopened (one statement)."""
    recent = func.sum(case((Case.opened_at > now - RECENT_US, 1), else_=0))
    moved = func.sum(case((Case.escalations > 0, 1), else_=0))
    found = session.execute(
        select(func.count(), recent, moved, func.sum(Case.reopened)).where(
            Case.customer_id == customer_id,
            Case.opened_at > now - HISTORY_US,
            Case.opened_at <= now,
        )
    ).one()
    return tuple(int(value or 0) for value in found)  # type: ignore[return-value]


def at_intake(
    session: Session,
    *,
    case_id: int,
    customer_id: int,
    opening: Mapping[str, Any],
    text: str,
    analyzer: TextAnalyzer | None,
    now: int,
) -> dict[str, Any] | None:
    """The new case's `case_risks` row, scored from the fields it opened with (`opening`: the
    `case.opened` audit data), its text and its customer's history; None with no model yet."""
    held = in_use(session)
    if held is None:
        return None
    earlier, recent, moved, reopened = customer_history(session, customer_id=customer_id, now=now)
    intents, sentiment = signals_of(analyzer, text)
    facts = IntakeFacts(
        channel=opening.get("channel"),
        tier=opening.get("tier"),
        category=opening.get("category"),
        priority=opening.get("priority"),
        intents=intents,
        sentiment=sentiment,
        recent_contacts=recent,
        earlier_cases=earlier,
        earlier_escalations=moved,
        earlier_reopenings=reopened,
        hour_of_week=arithmetic.hour_of_week(now),
    )
    return risk_row(case_id, held.run_id, held.model, facts, now)


# -- reading scores ------------------------------------------------------------------------------

NO_MODEL = (
    "no escalation-risk model yet: too little history with a known outcome, or no fitting has "
    "run (`escalon risk train`, or the worker once a day)"
)
NOT_SCORED = "not scored: the case opened before the first model, or was escalated or closed since"


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """Which model scored, when it was fitted and how it did on its later window."""

    id: int
    trained_at: int
    cases: int
    auc: float | None
    brier: float | None


@dataclass(frozen=True, slots=True)
class CaseRiskView:
    """A case's risk as people read it, or why there is none."""

    probability: float | None
    signals: tuple[str, ...]
    model: ModelFacts | None
    note: str | None


def _model_facts(run: RiskModelRun | None) -> ModelFacts | None:
    if run is None:
        return None
    figures = (run.evaluation or {}).get("model", {})
    return ModelFacts(
        run.id,
        (run.model or {}).get("trained_at", run.started_at),
        run.cases,
        figures.get("auc"),
        figures.get("brier"),
    )


def case_risk(session: Session, case_id: int) -> CaseRiskView:
    """The stored risk of a case (whose visibility the caller checked)."""
    stored = session.get(CaseRisk, case_id)
    if stored is None:
        latest = session.scalar(
            select(func.max(RiskModelRun.id)).where(RiskModelRun.status == "done")
        )
        return CaseRiskView(None, (), None, NO_MODEL if latest is None else NOT_SCORED)
    return CaseRiskView(
        stored.probability,
        tuple(str(signal.get("words", "")) for signal in stored.signals),
        _model_facts(session.get(RiskModelRun, stored.model_id)),
        None,
    )


@dataclass(frozen=True, slots=True)
class LikelyCase:
    """An open, not yet escalated case and its risk."""

    id: int
    subject: str
    team: str
    assignee: str | None
    priority: str
    status: str
    opened_at: int
    probability: float
    signals: tuple[str, ...]


MAX_LIKELY = 200


def likely(
    session: Session, *, scope: visibility.Scope, limit: int = 50, at_least: float = 0.0
) -> list[LikelyCase]:
    """The open cases in `scope` that were never escalated, highest risk first."""
    query = (
        select(
            Case.id,
            Case.subject,
            Case.team,
            Case.assignee,
            Case.priority,
            Case.status,
            Case.opened_at,
            CaseRisk.probability,
            CaseRisk.signals,
        )
        .join(CaseRisk, CaseRisk.case_id == Case.id)
        .where(
            Case.status.not_in(ENDED),
            Case.escalations == 0,
            CaseRisk.probability >= at_least,
        )
        .order_by(CaseRisk.probability.desc(), Case.id)
        .limit(max(1, min(limit, MAX_LIKELY)))
    )
    if (condition := scope.where()) is not None:
        query = query.where(condition)
    return [
        LikelyCase(
            int(row.id),
            row.subject,
            row.team,
            row.assignee,
            row.priority,
            row.status,
            int(row.opened_at),
            float(row.probability),
            tuple(str(signal.get("words", "")) for signal in row.signals or ()),
        )
        for row in session.execute(query)
    ]


def model_facts(session: Session) -> ModelFacts | None:
    """The model in use, as the page and the API name it."""
    return _model_facts(
        session.scalars(
            select(RiskModelRun)
            .where(RiskModelRun.status == "done")
            .order_by(RiskModelRun.id.desc())
            .limit(1)
        ).first()
    )


# -- the API's answers ---------------------------------------------------------------------------


def model_out(found: ModelFacts | None) -> RiskModelOut | None:
    """The model as the API names it."""
    if found is None:
        return None
    return RiskModelOut(
        id=found.id,
        trained_at=from_us(found.trained_at),
        cases=found.cases,
        auc=found.auc,
        brier=found.brier,
    )


def risk_out(found: CaseRiskView) -> EscalationRiskOut:
    """A case's risk as the API shows it."""
    return EscalationRiskOut(
        probability=found.probability,
        signals=list(found.signals),
        model=model_out(found.model),
        note=found.note,
    )


def likely_out(session: Session, found: Sequence[LikelyCase]) -> LikelyEscalationsOut:
    """The likely escalations as the API shows them, with the model in use."""
    facts = model_facts(session)
    return LikelyEscalationsOut(
        items=[
            LikelyEscalationOut(
                id=item.id,
                subject=item.subject,
                team=item.team,
                assignee=item.assignee,
                priority=item.priority,
                status=item.status,
                opened_at=from_us(item.opened_at),
                probability=item.probability,
                signals=list(item.signals),
            )
            for item in found
        ],
        model=model_out(facts),
        note=NO_MODEL if facts is None else None,
    )
