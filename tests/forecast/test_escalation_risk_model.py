"""Fitting the escalation-risk model on a synthetic history whose answer is known, and judging
it on a later window, never a random share."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from escalon.core.forecast.judging import sigmoid
from escalon.core.forecast.risk import IntakeFacts
from escalon.forecast.risk import (
    Example,
    TooLittleHistory,
    evaluate,
    fit,
    time_split,
    train,
)

HOUR_US = 3_600_000_000
TRUE_INTERCEPT = -2.5
TRUE_MANAGER = 3.0
TRUE_ENTERPRISE = 1.0


def _history(count: int, seed: int = 7, flip_after: int | None = None) -> list[Example]:
    """Cases an hour apart whose escalation follows a known logistic law: a manager request
    and the enterprise tier raise it; after `flip_after` cases, the manager request lowers it."""
    chance = random.Random(seed)
    found = []
    for index in range(count):
        asked = chance.random() < 0.3
        enterprise = chance.random() < 0.4
        sign = -1 if flip_after is not None and index >= flip_after else 1
        logit = TRUE_INTERCEPT + sign * TRUE_MANAGER * asked + TRUE_ENTERPRISE * enterprise
        escalated = chance.random() < sigmoid(logit)
        facts = IntakeFacts(
            channel="email",
            tier="enterprise" if enterprise else "standard",
            intents=frozenset({"manager_request"}) if asked else frozenset(),
            hour_of_week=10,
        )
        found.append(Example(index + 1, index * HOUR_US, facts, escalated, True, False))
    return found


def test_the_fitted_weights_find_the_law_the_history_follows() -> None:
    model = fit(_history(4000), trained_at=0, c=100.0)
    assert model.weights["intent:manager_request"] == pytest.approx(TRUE_MANAGER, abs=0.35)
    # One-hot tiers: the gap between them is the law's enterprise weight.
    gap = model.weights["tier:enterprise"] - model.weights["tier:standard"]
    assert gap == pytest.approx(TRUE_ENTERPRISE, abs=0.3)


def test_the_later_window_is_later_than_every_case_learnt_from() -> None:
    history = _history(200)
    earlier, later = time_split(list(reversed(history)), 0.25)
    assert len(later) == 50
    assert max(e.opened_at for e in earlier) < min(e.opened_at for e in later)


def test_cases_opened_at_the_same_instant_stay_on_one_side_of_the_split() -> None:
    history = [
        Example(i, (i // 10) * HOUR_US, IntakeFacts(), i % 2 == 0, True, False) for i in range(40)
    ]
    earlier, later = time_split(history, 0.25)
    assert {e.opened_at for e in earlier}.isdisjoint({e.opened_at for e in later})


def test_the_evaluation_beats_the_baselines_on_a_history_that_follows_a_law() -> None:
    judged = evaluate(_history(2000), trained_at=0)
    assert judged["split"] == "time"
    assert judged["test_cases"] == 500
    assert judged["model"]["auc"] > 0.75
    assert judged["baselines"]["base_rate"]["auc"] == 0.5
    assert judged["model"]["brier"] < judged["baselines"]["base_rate"]["brier"]
    assert judged["model"]["brier"] < judged["baselines"]["priority"]["brier"]
    # Calibrated: in every well-filled bin, what was said is near what happened.
    for row in judged["reliability"]:
        if row["cases"] >= 100:
            assert row["predicted"] == pytest.approx(row["observed"], abs=0.08)


def test_a_law_that_changed_in_the_later_window_shows_in_its_figures() -> None:
    """A random split would mix the two laws and look fine; the later window does not."""
    judged = evaluate(_history(2000, flip_after=1500), trained_at=0)
    assert judged["model"]["auc"] < 0.5


def test_too_little_history_gives_no_model_rather_than_a_number() -> None:
    with pytest.raises(TooLittleHistory, match="needs 100 cases"):
        train(_history(60), trained_at=0)


def test_cases_whose_outcome_is_unknown_are_not_learnt_from() -> None:
    history = _history(600)
    still_open = [Example(e.case_id, e.opened_at, e.facts, False, False, True) for e in history]
    trained = train(history[:500] + still_open[500:], trained_at=0)
    assert trained.cases == 500


def test_scoring_from_stored_coefficients_never_loads_scikit_learn() -> None:
    program = """
import json, sys
from escalon.core.forecast.risk import IntakeFacts, from_json, score
import escalon.forecast.risk, escalon.cases.opening
model = from_json(json.loads(sys.argv[1]))
found = score(model, IntakeFacts(intents=frozenset({"manager_request"})))
assert 0 < found.probability < 1 and found.signals
print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'pandas'}))
"""
    stored = (
        '{"format": 1, "kind": "logistic", "intercept": -2, "base_rate": 0.2, "cases": 100, '
        '"trained_at": 0, "weights": {"intent:manager_request": 2.0}, "evaluation": {}}'
    )
    ran = subprocess.run(
        [sys.executable, "-c", program, stored], capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == "[]"
