"""Escalation risk as arithmetic: features at intake, the JSON form of a model, scoring with
the signals in words, and the figures that judge a model."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from escalon.core.forecast.judging import auc, brier, reliability, sigmoid
from escalon.core.forecast.risk import (
    BadModel,
    IntakeFacts,
    RiskModel,
    features,
    from_json,
    hour_of_week,
    score,
    to_json,
)

MODEL = RiskModel(
    intercept=-2.0,
    weights={
        "intent:manager_request": 2.5,
        "recent_contacts": 0.6,
        "tier:enterprise": 0.9,
        "channel:email": -0.3,
        "negative_tone": 1.0,
    },
    base_rate=0.2,
    cases=400,
    trained_at=1_700_000_000_000_000,
    evaluation={"model": {"auc": 0.81, "brier": 0.12}},
)


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def test_hour_of_week_counts_from_monday_midnight_utc() -> None:
    assert hour_of_week(_us(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))) == 0  # a Monday
    assert hour_of_week(_us(datetime(2026, 12, 6, 23, 0, tzinfo=UTC))) == 167  # the Sunday


def test_features_name_what_was_known_at_intake_and_cap_the_counts() -> None:
    found = features(
        IntakeFacts(
            channel="Chat",
            tier="enterprise",
            priority="P1",
            intents=frozenset({"manager_request"}),
            sentiment=-0.5,
            recent_contacts=9,
            hour_of_week=5 * 24 + 10,  # Saturday 10:00
        )
    )
    assert found == {
        "channel:chat": 1.0,
        "tier:enterprise": 1.0,
        "priority:p1": 1.0,
        "intent:manager_request": 1.0,
        "negative_tone": 0.5,
        "recent_contacts": 5.0,
        "when:weekend": 1.0,
    }


def test_a_score_is_the_logistic_of_the_dot_product_with_its_largest_signals_in_words() -> None:
    facts = IntakeFacts(
        channel="email",
        tier="enterprise",
        intents=frozenset({"manager_request"}),
        recent_contacts=2,
        hour_of_week=10,
    )
    found = score(MODEL, facts)
    assert found.probability == pytest.approx(sigmoid(-2.0 + 2.5 + 0.6 * 2 + 0.9 - 0.3))
    assert [signal.words for signal in found.signals] == [
        "asked for a manager",
        "3rd contact in 7 days",
        "enterprise tier",
    ]  # the channel lowers the risk: it is no reason for it


def test_a_case_with_nothing_known_scores_the_intercept_and_names_no_signal() -> None:
    found = score(MODEL, IntakeFacts(hour_of_week=10))
    assert found.probability == pytest.approx(sigmoid(-2.0))
    assert found.signals == ()


def test_a_model_survives_its_json_form() -> None:
    again = from_json(json.loads(json.dumps(to_json(MODEL))))
    assert again == MODEL


@pytest.mark.parametrize(
    "broken",
    [
        {"format": 2},
        {"weights": {"x": float("nan")}},
        {"weights": {"x": "__import__('os')"}},
        {"weights": {f"w{i}": 0.1 for i in range(2001)}},
        {"weights": {"": 1.0}},
        {"intercept": True},
        {"base_rate": 3},
        {"cases": "400"},
    ],
)
def test_stored_coefficients_that_are_not_a_model_are_refused(broken: dict[str, object]) -> None:
    data = to_json(MODEL) | broken
    with pytest.raises(BadModel):
        from_json(data)


def test_auc_counts_ties_as_half_and_needs_both_outcomes() -> None:
    assert auc([True, False, True, False], [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert auc([True, False], [0.5, 0.5]) == 0.5
    assert auc([True, False, False], [0.2, 0.9, 0.1]) == 0.5
    assert auc([True, True], [0.1, 0.2]) is None


def test_brier_is_the_mean_squared_gap() -> None:
    found = brier([True, False], [0.75, 0.25])
    assert found is not None
    assert math.isclose(found, 0.0625)


def test_the_reliability_table_sets_what_was_said_against_what_happened() -> None:
    labels = [True, False, False, False, True, True]
    scores = [0.05, 0.05, 0.15, 0.15, 0.95, 1.0]
    table = reliability(labels, scores)
    assert [(row.low, row.cases, row.observed) for row in table] == [
        (0.0, 2, 0.5),
        (0.1, 2, 0.0),
        (0.9, 2, 1.0),
    ]
