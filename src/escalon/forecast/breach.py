"""The live breach forecast: each team's pace and queue read from the database, the newest fitted
model, and the forecast the engine, the queue, the case page and the API all read.

The pace is the team's answers (public replies) per hour of the week over the last four weeks,
as the replay learns it; a team with less history than a week is paced by its roster instead
(people on shift each hour, at the team's handle time). The cases in front of one are counted
by the database on the (team, due instant) index, so a look costs the same at any queue length.
Paces and the model are computed at most once an hour per process (`BreachCache`, installed by
the composition root like the staffing assumptions).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases.models import Case, Message
from escalon.core.codec import state_from_json
from escalon.core.forecast.breach import (
    PROMISE_CONFIDENCE,
    BreachModel,
    ModelError,
    Outlook,
    WeeklyPace,
    breach_probability,
    likely_answer_by,
)
from escalon.core.forecast.pace import MIN_ANSWERS, TeamQueues
from escalon.core.forecast.staffing import (
    HOUR_US,
    MONDAY_OFFSET_HOURS,
    WEEK_HOURS,
    WEEK_US,
    rostered_at,
    weekly_means,
)
from escalon.core.policy import Policy
from escalon.core.sla import first_due_clock
from escalon.core.state import STOPPED_STATUSES, CaseState
from escalon.database import Database
from escalon.database.leases import daily_key
from escalon.forecast.models import ForecastModel
from escalon.forecast.staffing import MIN_MEASURED_CASES, Assumptions, time_spent
from escalon.people import presence
from escalon.people import staffing as people_staffing
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion

PACE_WEEKS = 4
# The hours ahead in which the people present now, rather than the usual ones, set the pace.
SHIFT_HOURS = 4


@dataclass(slots=True)
class BreachCache:
    """Paces and the model of one database, worked out at most once an hour per process."""

    KEY: ClassVar[str] = "escalon.forecast.breach"
    hour: int = -1
    paces: dict[str, WeeklyPace | None] = field(default_factory=dict)
    rostered: dict[str, WeeklyPace | None] = field(default_factory=dict)  # asked team by team
    model: BreachModel | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, info: dict[str, Any]) -> None:
        """Put this cache in a database's info (every session then shares it)."""
        info[self.KEY] = self

    @classmethod
    def of(cls, session: Session) -> BreachCache:
        """The cache installed for the session's database (a fresh one, used once, otherwise)."""
        found = session.info.get(cls.KEY)
        if isinstance(found, BreachCache):
            return found
        made = session.info[cls.KEY] = cls()
        return made


def _hour_of_week(instant: Any) -> Any:
    return (instant // HOUR_US + MONDAY_OFFSET_HOURS) % WEEK_HOURS


def _answer_paces(session: Session, now: int) -> dict[str, WeeklyPace | None]:
    """Each team's pace from its public replies of the last weeks (None: too little history)."""
    since = now - PACE_WEEKS * WEEK_US
    window = (
        Message.author_kind == "agent",
        Message.public.is_(True),
        Message.at >= since,
        Message.at < now,
    )
    first = session.scalar(select(func.min(Message.at)).where(*window))
    if first is None:
        return {}
    since = max(since, (first // HOUR_US) * HOUR_US)
    slot = _hour_of_week(Message.at)
    counts: dict[str, list[int]] = {}
    for team, hour, count in session.execute(
        select(Case.team, slot, func.count())
        .join(Case, Case.id == Message.case_id)
        .where(*window)
        .group_by(Case.team, slot)
    ):
        counts.setdefault(team, [0] * WEEK_HOURS)[int(hour)] += int(count)
    if now - since < WEEK_US:
        return {}
    until = now // HOUR_US * HOUR_US
    return {
        team: WeeklyPace(weekly_means(hours, since, until)) if sum(hours) >= MIN_ANSWERS else None
        for team, hours in counts.items()
    }


def _roster_pace(session: Session, team: str, now: int) -> WeeklyPace | None:
    """A pace from the roster: people on shift each hour of the week, at the team's handle time."""
    staff = people_staffing.staffing(session).team(team)
    if staff is None or not staff.members:
        return None
    seconds, cases = time_spent(session, now - 8 * WEEK_US, now).get(team, (0, 0))
    handle = (
        seconds / cases if cases >= MIN_MEASURED_CASES else Assumptions.of(session).handle_seconds
    )
    week_start = now - now % HOUR_US
    per_hour = [0.0] * WEEK_HOURS
    for offset in range(WEEK_HOURS):
        middle = week_start + offset * HOUR_US + HOUR_US // 2
        hour = (middle // HOUR_US + MONDAY_OFFSET_HOURS) % WEEK_HOURS
        per_hour[hour] = rostered_at(staff.members, middle) * 3600.0 / max(handle, 1.0)
    return WeeklyPace(tuple(per_hour))


def latest_model(session: Session) -> BreachModel | None:
    """The newest stored breach model (None: none fitted yet, or one this release cannot read)."""
    body = session.scalar(
        select(ForecastModel.body)
        .where(ForecastModel.kind == "breach")
        .order_by(ForecastModel.id.desc())
        .limit(1)
    )
    if body is None:
        return None
    try:
        return BreachModel.from_data(body)
    except ModelError:
        return None


def _refreshed(session: Session, now: int) -> BreachCache:
    cache = BreachCache.of(session)
    hour = now // HOUR_US
    with cache.lock:
        if cache.hour != hour:
            cache.paces = _answer_paces(session, now)
            cache.rostered = {}
            cache.model = latest_model(session)
            cache.hour = hour
    return cache


def forget(session: Session) -> None:
    """Work paces and the model out afresh on the next look (a model was just stored)."""
    BreachCache.of(session).hour = -1


def pace_of(session: Session, team: str, now: int) -> WeeklyPace | None:
    """The team's pace: its history's, else its roster's (each worked out once an hour)."""
    cache = _refreshed(session, now)
    known = cache.paces.get(team)
    if known is not None:
        return known
    if team not in cache.rostered:
        cache.rostered[team] = _roster_pace(session, team, now)
    return cache.rostered[team]


def present_pace(session: Session, team: str, now: int) -> tuple[WeeklyPace | None, int]:
    """The team's pace as the people present now change it, and how many are present.

    The pace (history's or roster's) assumes the usual people. For the next `SHIFT_HOURS` hours
    it is scaled by those present now (working hours, on call, not away) over those whose
    working hours are open now, so a team whose people went away is forecast slower, and one
    with someone on call at night faster. Worked out once a minute per session."""
    key = ("escalon.forecast.present", team, now // 60_000_000)
    found = session.info.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    pace = pace_of(session, team, now)
    people = [
        person for person in presence.people(session, now=now, team=team) if team in person.teams
    ]
    here = sum(1 for person in people if person.present)
    staff = people_staffing.staffing(session).team(team)
    usual = rostered_at(staff.members, now) if staff is not None else 0
    if pace is not None and usual > 0 and here != usual:
        per_hour = list(pace.per_hour)
        for offset in range(SHIFT_HOURS):
            hour = (now // HOUR_US + offset + MONDAY_OFFSET_HOURS) % WEEK_HOURS
            per_hour[hour] *= here / usual
        pace = WeeklyPace(tuple(per_hour))
    found = session.info[key] = (pace, here)
    return found


def ahead_of(session: Session, case_id: int | None, team: str, due: int) -> int:
    """Open cases of the team that fall due before `due` (the index answers it)."""
    query = select(func.count()).where(
        Case.team == team,
        Case.due_at.is_not(None),
        Case.due_at < due,
        Case.status.not_in(tuple(STOPPED_STATUSES)),
    )
    if case_id is not None:
        query = query.where(Case.id != case_id)
    return int(session.scalar(query) or 0)


@dataclass(frozen=True, slots=True)
class CaseForecast:
    """What the forecast says of a case's nearest due clock."""

    metric: str
    due_us: int
    probability: float
    ahead: int
    expected_answers: float
    model: bool  # the fitted model spoke (else the queue's estimate alone)


def _nearest(policy: Policy, state: CaseState) -> tuple[str, int, int] | None:
    """(metric, due, target) of the case's nearest running clock."""
    if state.status in STOPPED_STATUSES or state.sla is None:
        return None
    due, _, metric = first_due_clock(policy, state)
    if due is None or metric is None:
        return None
    target = policy.slas[state.sla].targets.get(metric)
    return None if target is None else (metric, due, target)


def case_forecast(
    session: Session, policy: Policy, state: CaseState, case_id: int | None, now: int
) -> CaseForecast | None:
    """The forecast for the case's nearest running clock (None: none runs, or no pace known)."""
    nearest = _nearest(policy, state)
    if nearest is None:
        return None
    metric, due, target = nearest
    ahead = ahead_of(session, case_id, state.team, due)
    return _forecast(session, policy, state, metric, due, target, now, ahead)


def forecasts_of(session: Session, case_ids: list[int], now: int) -> dict[int, CaseForecast]:
    """The forecasts of the listed cases (a queue page), each under its own policy version."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Case.id, Case.state, Case.policy_version_id, PolicyVersion.fingerprint)
        .join(PolicyVersion, PolicyVersion.id == Case.policy_version_id)
        .where(Case.id.in_(case_ids))
    )
    cases = [
        (case_id, policies.compiled(session, version, fingerprint), state_from_json(text))
        for case_id, text, version, fingerprint in rows
    ]
    return page_forecasts(session, cases, now)


def page_forecasts(
    session: Session, cases: list[tuple[int, Policy, CaseState]], now: int
) -> dict[int, CaseForecast]:
    """The forecasts of a page of cases, their queues read in one query."""
    wanted: list[tuple[int, Policy, CaseState, str, int, int]] = []
    for case_id, policy, state in cases:
        nearest = _nearest(policy, state)
        if nearest is not None:
            wanted.append((case_id, policy, state, *nearest))
    if not wanted:
        return {}
    latest = max(due for *_, due, _ in wanted)
    rows = session.execute(
        select(Case.id, Case.team, Case.due_at).where(
            Case.team.in_({state.team for _, _, state, *_ in wanted}),
            Case.due_at.is_not(None),
            Case.due_at < latest,
            Case.status.not_in(tuple(STOPPED_STATUSES)),
        )
    )
    queues = TeamQueues.of(
        (str(case_id), team, due) for case_id, team, due in rows if due is not None
    )
    found = {}
    for case_id, policy, state, metric, due, target in wanted:
        ahead = queues.ahead(str(case_id), state.team, due)
        forecast = _forecast(session, policy, state, metric, due, target, now, ahead)
        if forecast is not None:
            found[case_id] = forecast
    return found


def _forecast(
    session: Session,
    policy: Policy,
    state: CaseState,
    metric: str,
    due: int,
    target: int,
    now: int,
    ahead: int,
) -> CaseForecast | None:
    pace, here = present_pace(session, state.team, now)
    if pace is None:
        return None
    model = _refreshed(session, now).model
    outlook = Outlook(ahead, pace.expected(now, due), pace.now(now), here)
    probability = breach_probability(
        state,
        metric,
        outlook,
        now=now,
        due=due,
        target=target,
        priority_rank=policy.priority_rank.get(state.priority, 0),
        model=model,
    )
    return CaseForecast(
        metric, due, probability, outlook.ahead, outlook.expected_answers, model is not None
    )


@dataclass(slots=True)
class LiveForesight:
    """The engine's `Foresight` in the live service: one session, its cases by reference."""

    session: Session
    policy: Policy

    def breach_probability(
        self, state: CaseState, metric: str, due: int, target: int, now: int
    ) -> float | None:
        """The forecast for one clock (None: no pace known for its team)."""
        case_id = int(state.case) if state.case.isdigit() else None
        ahead = ahead_of(self.session, case_id, state.team, due)
        found = _forecast(self.session, self.policy, state, metric, due, target, now, ahead)
        return None if found is None else found.probability

    def answer_by(self, state: CaseState, metric: str, due: int, now: int) -> int | None:
        """When the team will likely have answered the clock (None: no pace known)."""
        pace, _ = present_pace(self.session, state.team, now)
        if pace is None:
            return None
        case_id = int(state.case) if state.case.isdigit() else None
        ahead = ahead_of(self.session, case_id, state.team, due)
        return likely_answer_by(ahead, pace, now, confidence=PROMISE_CONFIDENCE)


def foresight(session: Session, policy: Policy) -> LiveForesight:
    """The forecast the engine reads: for `sla.at_risk` looks and for the answer instant the
    customer is promised."""
    return LiveForesight(session, policy)


@dataclass(frozen=True, slots=True)
class Trained:
    """A model fitted on the database's history and stored, with how it fared on the later part."""

    model_id: int
    cases: int
    report: dict[str, Any]


def fit_history(
    session: Session, *, now: int, days: int = 90
) -> tuple[BreachModel, dict[str, Any], int]:
    """Fit the breach model on the cases opened in the last `days` days, told again from the
    audit trail and replayed under the active policy: (model, evaluation, cases). Raises
    TooLittleHistory when the history cannot teach or judge a model. Only reads."""
    from escalon.forecast.breach_training import TooLittleHistory, train_and_judge
    from escalon.policies.history import history

    text = session.scalar(select(PolicyVersion.source).where(PolicyVersion.active.is_(True)))
    if text is None:
        raise TooLittleHistory("no policy is active: there is nothing to replay the history under")
    told = history(session, since=now - days * 24 * HOUR_US, until=now)
    model, report = train_and_judge(text, told.lines)
    return model, report, told.cases


def store_model(
    session: Session, model: BreachModel, *, now: int, source: str, claim_key: str | None = None
) -> int:
    """Store a fitted model; the forecast uses it from the next look on. A `claim_key` already
    stored (another worker's model of the day) raises IntegrityError."""
    row = ForecastModel(
        kind="breach",
        created_at=now,
        source=source,
        looks=int(model.trained.get("looks", 0)),
        body=model.to_data(),
        claim_key=claim_key,
    )
    session.add(row)
    session.flush()
    forget(session)
    return row.id


def train_from_history(session: Session, *, now: int, days: int = 90) -> Trained:
    """Fit on the history and store the model (the command's way: one transaction)."""
    model, report, cases = fit_history(session, now=now, days=days)
    return Trained(store_model(session, model, now=now, source="command"), cases, report)


def refresh(database: Database, *, now: int, days: int = 90) -> Trained | None:
    """The worker's daily look: fit and store a model when the newest is a day old or there is
    none. Fitting only reads; the day's model is stored once however many workers fit it (a
    unique claim key), so the timers never wait on a fit. None: nothing stored."""
    from escalon.forecast.breach_training import TooLittleHistory

    with database.read() as session:
        newest = session.scalar(
            select(func.max(ForecastModel.created_at)).where(ForecastModel.kind == "breach")
        )
        if newest is not None and now - newest < 24 * HOUR_US:
            return None
        try:
            model, report, cases = fit_history(session, now=now, days=days)
        except TooLittleHistory:
            return None
    try:
        with database.write() as session:
            stored = store_model(session, model, now=now, source="worker", claim_key=daily_key(now))
    except IntegrityError:
        return None  # another worker stored today's model first
    return Trained(stored, cases, report)
