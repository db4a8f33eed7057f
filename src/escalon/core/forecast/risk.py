"""Escalation risk at intake as arithmetic: what is known of a new case, turned into named
features; a fitted model's coefficients, read from and written to plain JSON; a probability and
the signals behind it in words; and the figures that judge a model on a later window.

Fitting happens elsewhere (`escalon.forecast.risk` with scikit-learn); scoring here is a dot
product, so intake never loads a learning library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from escalon.core.forecast.judging import sigmoid

FORMAT = 1
DAY_US = 86_400_000_000
WEEK_US = 7 * DAY_US
# How far back a customer's earlier cases count, and the "recent contacts" span.
HISTORY_US = 90 * DAY_US
RECENT_US = 7 * DAY_US
# Counts are capped: the tenth contact in a week says no more than the fifth.
CAP = 5
# What a stored model may hold: more than this is not a model Escalon wrote.
MAX_WEIGHTS = 2000
MAX_NAME = 200
# How many signals a score names: the largest that push the probability up.
TOP_SIGNALS = 4
# A signal smaller than this (in log-odds) is noise, not a reason.
MIN_CONTRIBUTION = 0.05


@dataclass(frozen=True, slots=True)
class IntakeFacts:
    """What is known of a case when it opens: how it came, who it is from, what they wrote."""

    channel: str | None = None
    tier: str | None = None
    category: str | None = None
    priority: str | None = None
    intents: frozenset[str] = frozenset()
    sentiment: float = 0.0
    # The customer's cases opened before this one: in the last 7 days, in the last 90 days,
    # how many of those were escalated (before this one opened), how often they were reopened.
    recent_contacts: int = 0
    earlier_cases: int = 0
    earlier_escalations: int = 0
    earlier_reopenings: int = 0
    # Hours since Monday 00:00 UTC: 0 to 167.
    hour_of_week: int = 0


def hour_of_week(at_us: int) -> int:
    """The hour of the UTC week an instant falls in (Monday 00:00 is 0)."""
    # 1970-01-01 was a Thursday: three days after a Monday.
    return int(((at_us // 3_600_000_000) + 72) % 168)


def features(facts: IntakeFacts) -> dict[str, float]:
    """The named features of a case at intake (absent names are 0)."""
    found: dict[str, float] = {}
    for kind, value in (
        ("channel", facts.channel),
        ("tier", facts.tier),
        ("category", facts.category),
        ("priority", facts.priority),
    ):
        if value:
            found[f"{kind}:{value.strip().lower()[:100]}"] = 1.0
    for intent in sorted(facts.intents):
        found[f"intent:{intent}"] = 1.0
    if facts.sentiment < 0:
        found["negative_tone"] = min(1.0, -facts.sentiment)
    for name, count in (
        ("recent_contacts", facts.recent_contacts),
        ("earlier_cases", facts.earlier_cases),
        ("earlier_escalations", facts.earlier_escalations),
        ("earlier_reopenings", facts.earlier_reopenings),
    ):
        if count > 0:
            found[name] = float(min(count, CAP))
    day, hour = divmod(facts.hour_of_week % 168, 24)
    if day >= 5:
        found["when:weekend"] = 1.0
    elif hour < 8 or hour >= 18:
        found["when:out_of_hours"] = 1.0
    return found


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _times(count: int, one: str, many: str) -> str:
    shown = f"{count}+" if count >= CAP else str(count)
    return f"{shown} {one if count == 1 else many}"


def words(name: str, facts: IntakeFacts) -> str:
    """A feature as a person reads it: "asked for a manager", "3rd contact in 7 days"."""
    kind, _, value = name.partition(":")
    if kind == "channel":
        return f"came by {value}"
    if kind == "tier":
        return f"{value} tier"
    if kind == "category":
        return f"category {value}"
    if kind == "priority":
        return f"priority {value}"
    if name == "intent:manager_request":
        return "asked for a manager"
    if name == "intent:complaint":
        return "a complaint"
    if kind == "intent":
        return f"intent {value}"
    if name == "negative_tone":
        return "negative tone"
    if name == "recent_contacts":
        return f"{_ordinal(facts.recent_contacts + 1)} contact in 7 days"
    if name == "earlier_cases":
        return _times(facts.earlier_cases, "earlier case in 90 days", "earlier cases in 90 days")
    if name == "earlier_escalations":
        return _times(
            facts.earlier_escalations, "earlier case escalated", "earlier cases escalated"
        )
    if name == "earlier_reopenings":
        return "earlier cases reopened " + _times(facts.earlier_reopenings, "time", "times")
    if name == "when:weekend":
        return "opened at the weekend"
    if name == "when:out_of_hours":
        return "opened out of office hours (UTC)"
    return name


@dataclass(frozen=True, slots=True)
class RiskModel:
    """A logistic model's coefficients by feature name, and what it was fitted on."""

    intercept: float
    weights: Mapping[str, float]
    base_rate: float
    cases: int
    trained_at: int  # microseconds since the epoch
    evaluation: Mapping[str, Any] = field(default_factory=dict)


class BadModel(ValueError):
    """Stored coefficients that are not a model this code wrote."""


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadModel(f"{where}: a finite number, not {value!r:.40}")
    return float(value)


def to_json(model: RiskModel) -> dict[str, Any]:
    """The model as plain JSON data (never code: a database copy must not run anything)."""
    return {
        "format": FORMAT,
        "kind": "logistic",
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
        "base_rate": model.base_rate,
        "cases": model.cases,
        "trained_at": model.trained_at,
        "evaluation": dict(model.evaluation),
    }


def from_json(data: Any) -> RiskModel:
    """A model from its JSON form; BadModel when it is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("kind") != "logistic":
        raise BadModel("not an escalation-risk model of format 1")
    weights = data.get("weights")
    if not isinstance(weights, dict) or len(weights) > MAX_WEIGHTS:
        raise BadModel(f"weights: a mapping of at most {MAX_WEIGHTS} names")
    checked: dict[str, float] = {}
    for name, value in weights.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
            raise BadModel(f"weights: a name of 1 to {MAX_NAME} characters, not {name!r:.40}")
        checked[name] = _finite(value, f"weights[{name!r}]")
    cases = data.get("cases")
    trained_at = data.get("trained_at")
    if not isinstance(cases, int) or not isinstance(trained_at, int):
        raise BadModel("cases and trained_at: whole numbers")
    evaluation = data.get("evaluation", {})
    if not isinstance(evaluation, dict):
        raise BadModel("evaluation: a mapping")
    base_rate = _finite(data.get("base_rate"), "base_rate")
    if not 0 <= base_rate <= 1:
        raise BadModel("base_rate: a share from 0 to 1")
    return RiskModel(
        intercept=_finite(data.get("intercept"), "intercept"),
        weights=checked,
        base_rate=base_rate,
        cases=cases,
        trained_at=trained_at,
        evaluation=evaluation,
    )


@dataclass(frozen=True, slots=True)
class Signal:
    """One reason behind a score: the feature, its words and its pull in log-odds."""

    feature: str
    words: str
    contribution: float


@dataclass(frozen=True, slots=True)
class Risk:
    """The probability that a case will be escalated and the largest signals behind it."""

    probability: float
    signals: tuple[Signal, ...]


def score(model: RiskModel, facts: IntakeFacts, top: int = TOP_SIGNALS) -> Risk:
    """The model's probability for a case and the features that raise it most, in words."""
    found = features(facts)
    pulls = {name: model.weights.get(name, 0.0) * value for name, value in found.items()}
    total = model.intercept + sum(pulls.values())
    raising = sorted(
        (item for item in pulls.items() if item[1] >= MIN_CONTRIBUTION),
        key=lambda item: (-item[1], item[0]),
    )[:top]
    return Risk(
        sigmoid(total),
        tuple(Signal(name, words(name, facts), round(pull, 4)) for name, pull in raising),
    )
