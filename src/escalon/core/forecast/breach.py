"""Will this case's clock breach? The queue in front of it, the team's pace and a fitted model.

A team answers its cases one after another at a pace that follows the week (people come and go),
so the answers it gives between now and a case's due instant are taken as a Poisson count whose
mean is the pace summed over that span. The case is late when fewer answers than the cases in
front of it, plus its own, fit in: `queue_probability`. That estimate ignores what a team knows
of the case itself (its priority, tier, mood, how often it bounced), so a logistic model fitted on
the team's own history (`BreachModel`: weights read from JSON, applied here with no library)
refines it from `features`. Everything here is arithmetic on what the caller gives: the live
service and the replay each build the outlook from what they know, the replay from the past only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from escalon.core.forecast.judging import sigmoid
from escalon.core.forecast.staffing import (
    HOUR_US,
    WEEK_HOURS,
    WEEK_US,
    hour_of_week,
    week_position,
)
from escalon.core.state import CaseState

# Where the engine looks at the forecast of a running clock: at its start and at each tenth of
# its target up to nine tenths (so a few looks per cycle, the same live and in the replay).
LOOKS = 10
# `sla.at_risk` without `breach_probability_above` reacts when a breach is more likely than not.
DEFAULT_THRESHOLD = 0.5
# The confidence of the answer instant the customer is promised.
PROMISE_CONFIDENCE = 0.8
# Past this many answers the Poisson sum is replaced by its normal approximation.
_EXACT_LIMIT = 400
MODEL_FORMAT = 1


class ModelError(ValueError):
    """A stored breach model this release cannot use (names the field at fault)."""


class Foresight(Protocol):
    """What the engine asks while it decides: how likely this clock is to breach."""

    def breach_probability(
        self, state: CaseState, metric: str, due: int, target: int, now: int
    ) -> float | None:
        """The probability that `metric`'s running cycle is not met by `due` (None: unknown)."""
        ...

    def answer_by(self, state: CaseState, metric: str, due: int, now: int) -> int | None:
        """When the team will likely have answered this clock (None: unknown)."""
        ...


def poisson_at_most(count: int, mean: float) -> float:
    """P(N <= count) for N a Poisson count of the given mean."""
    if count < 0:
        return 0.0
    if mean <= 0.0:
        return 1.0
    if count > _EXACT_LIMIT or mean > 700.0:
        # exp(-mean) underflows: the normal approximation with a continuity correction.
        z = (count + 0.5 - mean) / math.sqrt(mean)
        return 0.5 * math.erfc(-z / math.sqrt(2.0))
    term = math.exp(-mean)
    total = term
    for k in range(1, count + 1):
        term *= mean / k
        total += term
    return min(1.0, total)


@dataclass(frozen=True, slots=True)
class WeeklyPace:
    """Answers a team gives in each hour of the week (UTC), and their running sum for O(1) spans."""

    per_hour: tuple[float, ...]
    _cumulative: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.per_hour) != WEEK_HOURS:
            raise ValueError(f"a weekly pace has {WEEK_HOURS} hours, not {len(self.per_hour)}")
        running = [0.0]
        for rate in self.per_hour:
            running.append(running[-1] + max(0.0, rate))
        object.__setattr__(self, "_cumulative", tuple(running))

    @property
    def weekly(self) -> float:
        """Answers in a whole week."""
        return self._cumulative[-1]

    def _from_monday(self, at: int) -> float:
        """Answers from the start of `at`'s week (Monday 00:00 UTC) up to `at`."""
        hour = hour_of_week(at)
        into_hour = (at % HOUR_US) / HOUR_US
        return self._cumulative[hour] + into_hour * max(0.0, self.per_hour[hour])

    def expected(self, since: int, until: int) -> float:
        """Answers expected between two instants."""
        if until <= since:
            return 0.0
        weeks, remainder = divmod(until - since, WEEK_US)
        rest = self._from_monday(until) - self._from_monday(since)
        if week_position(since) + remainder >= WEEK_US:
            rest += self.weekly  # the rest of the span crosses a Monday
        return weeks * self.weekly + rest

    def now(self, at: int) -> float:
        """Answers per hour in `at`'s hour."""
        return self.per_hour[hour_of_week(at)]


class Outlook(NamedTuple):
    """What the queue says of one clock: cases in front, expected answers until due, and pace."""

    ahead: int
    expected_answers: float
    pace_now: float  # answers per hour in the current hour
    present: int  # people of the team present now (0 when unknown)


def queue_probability(outlook: Outlook) -> float:
    """The chance the team gives fewer answers before the due instant than the cases in front of
    this one plus itself."""
    return poisson_at_most(outlook.ahead, outlook.expected_answers)


def _logit(probability: float) -> float:
    clipped = min(max(probability, 1e-4), 1.0 - 1e-4)
    return math.log(clipped / (1.0 - clipped))


def features(
    state: CaseState,
    metric: str,
    outlook: Outlook,
    *,
    now: int,
    due: int,
    target: int,
    priority_rank: int,
) -> dict[str, float]:
    """What the fitted model reads of a clock at an instant: numbers, and one-hot names."""
    left_us = max(0, due - now)
    sentiment = state.remembered.get("customer.sentiment_drop")
    found: dict[str, float] = {
        "queue_logit": _logit(queue_probability(outlook)),
        "ahead_log": math.log1p(outlook.ahead),
        "expected_answers_log": math.log1p(outlook.expected_answers),
        "pace_now": outlook.pace_now,
        "present": float(outlook.present),
        "hours_left_log": math.log1p(left_us / HOUR_US),
        "share_used": 1.0 - min(1.0, left_us / target) if target > 0 else 1.0,
        "age_hours_log": math.log1p(max(0, now - state.opened_at) / HOUR_US),
        "priority_rank": float(priority_rank),
        "level": float(state.level),
        "escalations": float(state.escalations),
        "reopened": float(state.reopened),
        "level_entries": float(state.level_entries),
        "flags": float(len(state.flags)),
        "events_log": math.log1p(state.events),
        "sentiment": float(sentiment) if isinstance(sentiment, (int, float)) else 0.0,
        f"metric={metric}": 1.0,
    }
    if state.tier is not None:
        found[f"tier={state.tier}"] = 1.0
    if state.channel is not None:
        found[f"channel={state.channel}"] = 1.0
    if state.category is not None:
        found[f"category={state.category}"] = 1.0
    return found


@dataclass(frozen=True, slots=True)
class BreachModel:
    """A logistic model over `features`: an intercept and a weight per feature name."""

    intercept: float
    weights: Mapping[str, float]
    trained: Mapping[str, Any]  # what it was fitted on, as the trainer described it

    def probability(self, found: Mapping[str, float]) -> float:
        """The model's breach probability for one clock's features (unknown names weigh 0)."""
        score = self.intercept
        weights = self.weights
        for name, value in found.items():
            weight = weights.get(name)
            if weight is not None:
                score += weight * value
        return sigmoid(score)

    def to_data(self) -> dict[str, Any]:
        """The model as JSON-ready data (never code: a stored model is only numbers)."""
        return {
            "format": MODEL_FORMAT,
            "kind": "breach",
            "intercept": self.intercept,
            "weights": dict(self.weights),
            "trained": dict(self.trained),
        }

    @classmethod
    def from_data(cls, data: Any) -> BreachModel:
        """Read `to_data`'s output; raise ModelError naming what is wrong."""
        if not isinstance(data, dict):
            raise ModelError("a breach model is a JSON object")
        if data.get("format") != MODEL_FORMAT or data.get("kind") != "breach":
            raise ModelError(
                f"unknown model format {data.get('format')!r}/{data.get('kind')!r} "
                f"(this release reads format {MODEL_FORMAT}, kind 'breach')"
            )
        intercept: Any = data.get("intercept")
        if not _finite(intercept):
            raise ModelError("intercept: a finite number is required")
        weights = data.get("weights")
        if not isinstance(weights, dict):
            raise ModelError("weights: an object of feature name to number is required")
        for name, weight in weights.items():
            if not isinstance(name, str) or not _finite(weight):
                raise ModelError(f"weights.{name}: a finite number is required")
        trained = data.get("trained", {})
        if not isinstance(trained, dict):
            raise ModelError("trained: an object is required")
        return cls(float(intercept), {k: float(v) for k, v in weights.items()}, trained)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def breach_probability(
    state: CaseState,
    metric: str,
    outlook: Outlook,
    *,
    now: int,
    due: int,
    target: int,
    priority_rank: int,
    model: BreachModel | None,
) -> float:
    """The forecast: the model's reading when there is one, else the queue's alone (a clock
    already past its due instant has breached: certain)."""
    if due <= now:
        return 1.0
    if model is None:
        return queue_probability(outlook)
    found = features(
        state, metric, outlook, now=now, due=due, target=target, priority_rank=priority_rank
    )
    return model.probability(found)


def likely_answer_by(
    ahead: int, pace: WeeklyPace, now: int, *, confidence: float = 0.8, horizon_weeks: int = 4
) -> int | None:
    """The instant by which the team has answered this case with the given confidence (None:
    not within the horizon at this pace)."""
    if pace.weekly <= 0.0:
        return None
    needed = _answers_needed(ahead, confidence)
    # Walk the hours: the pace changes hour by hour, the answers needed are fixed.
    got = 0.0
    at = now
    limit = now + horizon_weeks * WEEK_US
    while at < limit:
        hour_end = (at // HOUR_US + 1) * HOUR_US
        rate = max(0.0, pace.now(at))
        gain = rate * (hour_end - at) / HOUR_US
        if got + gain >= needed:
            return at + int((needed - got) / rate * HOUR_US)
        got += gain
        at = hour_end
    return None


def _answers_needed(ahead: int, confidence: float) -> float:
    """The Poisson mean at which at least `ahead + 1` answers happen with `confidence`."""
    low, high = 0.0, float(ahead + 1)
    while poisson_at_most(ahead, high) > 1.0 - confidence:
        high *= 2.0
    for _ in range(60):
        middle = (low + high) / 2.0
        if poisson_at_most(ahead, middle) > 1.0 - confidence:
            low = middle
        else:
            high = middle
    return high
