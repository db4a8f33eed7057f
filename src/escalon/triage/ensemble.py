"""The classifier of model format 2: n-gram logistic regression, then two combiners averaged.

Level 1 is a logistic regression over TF-IDF word 1-2-grams and character 2-5-grams (within word
bounds) of `model_text`, the tweet-aware normalisation that keeps handles, links, hashtags and
emoji as tokens. Its label probabilities are predicted out of fold (`STACK_FOLDS` folds) to fit
level 2, which reads them next to the default detector's reading (`features.reading_vector`:
VADER scores, grammar rules, complaint cues) and the message's surface (`tweets.surface_vector`).
Two models make level 2 and their probabilities are averaged: a logistic regression, and
gradient-boosted trees, which learn where the cues and the words disagree (a cue that only
counts for short messages, a handle that tells a support desk from a friend). The trees are left
out when a label has fewer than `BOOSTING_MIN_LABEL` examples.

Training keeps only its numbers (`arrays.ArrayClassifier`); format 1 was `features.StackedTextClassifier`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalon.triage.features import TwoLevelClassifier, ngram_vectoriser, reading_matrix
from escalon.triage.tweets import SURFACE_COUNT, model_text, surface_vector

STACK_FOLDS = 5
# Gradient boosting costs one tree per class and round: with many labels it gets fewer rounds.
BOOSTING_ROUNDS = 200
BOOSTING_TREES = 1200
# Trees need examples of every label to split on; with fewer, level 2 is the regression alone.
BOOSTING_MIN_LABEL = 40
LEVEL_TWO_C = 1.0


def level_two_matrix(texts: Sequence[str], first: NDArray[np.float64]) -> NDArray[np.float64]:
    """Level 1 probabilities, the default detector's reading and the surface of each text."""
    surface = np.asarray([surface_vector(text) for text in texts], dtype=np.float64)
    return np.hstack([first, reading_matrix(texts), surface.reshape(-1, SURFACE_COUNT)])


class EnsembleTextClassifier(TwoLevelClassifier):
    """Word and character n-grams, stacked with the default detector, two combiners averaged."""

    linear: Any = None
    boosted: Any = None

    def describe(self) -> str:
        """One line for the model's metadata."""
        return (
            f"logistic regression (C={self.c}) on tf-idf words 1-2 and chars 2-5 of the "
            f"tweet-normalised text, stacked ({STACK_FOLDS} folds) with the default detector's "
            f"features and surface features; level 2 averages a logistic regression and "
            f"gradient-boosted trees when every label has {BOOSTING_MIN_LABEL} examples "
            f"(class weight: {self.class_weight or 'none'})"
        )

    @staticmethod
    def _new_vectoriser() -> Any:
        # Texts arrive already normalised by `model_text` (lower-case, folded).
        return ngram_vectoriser(lowercase=False)

    def _boosting(self, classes: int) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        trees_per_round = 1 if classes == 2 else classes
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=max(20, min(BOOSTING_ROUNDS, BOOSTING_TREES // trees_per_round)),
            max_leaf_nodes=8,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=False,
            class_weight=self.class_weight,
            random_state=self.seed,
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> EnsembleTextClassifier:
        """Fit both levels on texts and their labels."""
        from sklearn.linear_model import LogisticRegression

        texts = list(texts)
        self.vectoriser = self._new_vectoriser()
        matrix = self.vectoriser.fit_transform([model_text(text) for text in texts])
        target = np.asarray(labels)
        first = self._fit_level_one(matrix, target, labels, STACK_FOLDS)
        level_two = level_two_matrix(texts, first)
        self.linear = LogisticRegression(
            C=LEVEL_TWO_C, max_iter=5000, class_weight=self.class_weight
        ).fit(level_two, target)
        self.boosted = None
        if min(Counter(labels).values()) >= BOOSTING_MIN_LABEL:
            self.boosted = self._boosting(len(self.linear.classes_)).fit(level_two, target)
            if list(self.boosted.classes_) != list(self.linear.classes_):
                raise ValueError("the two level-2 models disagree on the labels")
        self.classes_ = self.linear.classes_
        self._drop_cut_vocabulary()
        return self

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probability of each class (in the order of `classes_`) for each text."""
        texts = list(texts)
        first = self._level_one([model_text(text) for text in texts])
        level_two = level_two_matrix(texts, first)
        result: NDArray[np.float64] = self.linear.predict_proba(level_two)
        if self.boosted is not None:
            result = (result + self.boosted.predict_proba(level_two)) / 2
        return result
