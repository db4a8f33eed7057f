"""A trained classifier kept as plain arrays predicts what the fitted one did, and hostile
arrays are refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from escalon.triage.arrays import ArrayClassifier, ArrayError, Trees
from escalon.triage.ensemble import BOOSTING_MIN_LABEL, EnsembleTextClassifier
from escalon.triage.trained import read_training_csv
from tests.builders.paths import TRIAGE_MESSAGES

FIXTURE = TRIAGE_MESSAGES
ANGRY = [
    "this is the third time I write, nobody answers, terrible service",
    "you charged me twice and ignore my emails, I am furious",
    "still broken after a week, worst support I have had",
    "I want a refund now, your product does not work at all",
]
CALM = [
    "thanks, that fixed it, have a nice day",
    "could you tell me your opening hours please",
    "great help from your team, much appreciated",
    "how do I change the address on my account",
]


def _many(texts: list[str], count: int) -> list[str]:
    return [f"{texts[i % len(texts)]} #{i}" for i in range(count)]


@pytest.fixture(scope="module")
def binary_with_trees() -> EnsembleTextClassifier:
    # Enough of each label that level 2 grows its trees.
    count = BOOSTING_MIN_LABEL + 10
    texts = _many(ANGRY, count) + _many(CALM, count)
    labels = ["angry"] * count + ["calm"] * count
    return EnsembleTextClassifier(c=4.0, class_weight="balanced").fit(texts, labels)


def test_three_labels_read_the_same_as_the_fitted_models() -> None:
    moods = read_training_csv(FIXTURE, "message", "mood")
    fitted = EnsembleTextClassifier(c=4.0).fit(moods.texts, moods.labels)
    arrays = ArrayClassifier.from_fitted(fitted)
    texts = [*moods.texts, "ok", "", "NOBODY ANSWERS!!! @help_desk http://x.io 😡"]
    assert np.allclose(arrays.predict_proba(texts), fitted.predict_proba(texts), atol=1e-12)


def test_two_labels_with_boosted_trees_read_the_same_as_the_fitted_models(
    binary_with_trees: EnsembleTextClassifier,
) -> None:
    arrays = ArrayClassifier.from_fitted(binary_with_trees)
    assert arrays.trees is not None
    assert arrays.trees.per_round == 1
    texts = [*ANGRY, *CALM, "meh", "the app crashed again and again!!"]
    assert np.allclose(
        arrays.predict_proba(texts), binary_with_trees.predict_proba(texts), atol=1e-12
    )


def test_a_classifier_survives_its_own_arrays(binary_with_trees: EnsembleTextClassifier) -> None:
    arrays = ArrayClassifier.from_fitted(binary_with_trees)
    again = ArrayClassifier.from_arrays(["angry", "calm"], arrays.settings(), arrays.arrays())
    texts = [*ANGRY, *CALM]
    assert np.array_equal(again.predict_proba(texts), arrays.predict_proba(texts))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: {"node_left": np.zeros_like(a["node_left"])}, "points back"),
        (lambda a: {"node_feature": a["node_feature"] + 10_000}, "does not exist"),
        (lambda a: {"tree_roots": a["tree_roots"][:0]}, "whole rounds"),
        (lambda a: {"node_value": a["node_value"][:-1]}, "differ in length"),
        (lambda a: {"tree_baseline": np.zeros(3)}, "baseline"),
        (lambda a: {"linear_coef": a["linear_coef"][:, :-1]}, "level 2 weights"),
        (lambda a: {"word_idf": a["word_idf"][:-1]}, "IDF"),
        (lambda a: {"word_terms": np.arange(len(a["word_terms"]))}, "strings"),
        (lambda a: {"text_coef": np.full_like(a["text_coef"], np.nan)}, "not a number"),
    ],
)
def test_arrays_that_do_not_make_a_classifier_are_refused(
    binary_with_trees: EnsembleTextClassifier, change: Any, message: str
) -> None:
    arrays = ArrayClassifier.from_fitted(binary_with_trees).arrays()
    stored = {**arrays, **change(arrays)}
    settings = ArrayClassifier.from_fitted(binary_with_trees).settings()
    with pytest.raises(ArrayError, match=message):
        ArrayClassifier.from_arrays(["angry", "calm"], settings, stored)


def test_a_walk_through_the_trees_follows_thresholds_and_missing_values() -> None:
    # One round of two labels: a stump on feature 1 at 0.5, missing values to the right.
    trees = Trees(
        roots=np.array([0]),
        feature=np.array([1, 0, 0]),
        threshold=np.array([0.5, 0.0, 0.0]),
        left=np.array([1, 0, 0]),
        right=np.array([2, 0, 0]),
        leaf=np.array([False, True, True]),
        missing_left=np.array([False, False, False]),
        value=np.array([0.0, -2.0, 3.0]),
        baseline=np.array([0.25]),
    )
    trees.check(width=2, labels=2)
    matrix = np.array([[9.0, 0.5], [9.0, 0.6], [0.0, np.nan]])
    assert trees.raw(matrix)[:, 0].tolist() == [-1.75, 3.25, 3.25]
