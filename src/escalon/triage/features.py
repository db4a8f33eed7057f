"""What a trained model reads: the words of a text, and what the default detector saw in it.

The classifier is stacked in two levels. A logistic regression reads TF-IDF word and character
n-grams; a second, small logistic regression reads that model's label probabilities next to the
default detector's features (VADER scores, grammar rules, complaint cues) and makes the call.
The first level's probabilities used to fit the second are predicted out of fold, so the second
learns how far to trust the words on texts the first has not seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalon.triage.default import DefaultDetector, Reading
from escalon.triage.grammar import MODEL_CUE_NAMES
from escalon.triage.text import clean, fold

# One detector for every model in the process, so its cache is shared.
_DETECTOR = DefaultDetector(cache_size=16384)
# Folds used to predict first-level probabilities for fitting the second level.
STACK_FOLDS = 3
FEATURE_COUNT = 13 + len(MODEL_CUE_NAMES)


def normalise(text: str) -> str:
    """The text as the vectorisers see it: cleaned and folded, like the grammar sees it."""
    return fold(clean(text))


def reading_vector(reading: Reading) -> list[float]:
    """The default detector's reading as numbers, each roughly within [-1, 1]."""
    found = reading.complaint
    return [
        reading.vader_neg,
        reading.vader_neu,
        reading.vader_pos,
        reading.vader_compound,
        reading.sentiment,
        1.0 if reading.is_manager_request else 0.0,
        min(len(reading.manager_rules), 3) / 3,
        1.0 if reading.is_complaint else 0.0,
        max(-1.0, min(reading.complaint_score, 6.0)) / 6,
        min(found.failure, 6.0) / 6,
        1.0 if found.sarcasm else 0.0,
        1.0 if found.reassured else 0.0,
        1.0 if found.thanks else 0.0,
        *(1.0 if name in found.cues else 0.0 for name in MODEL_CUE_NAMES),
    ]


def reading_matrix(texts: Iterable[str]) -> NDArray[np.float64]:
    """`reading_vector` of each text, one row per text."""
    rows = [reading_vector(_DETECTOR.read(text)) for text in texts]
    return np.asarray(rows, dtype=np.float64).reshape(-1, FEATURE_COUNT)


def ngram_vectoriser(**reading: Any) -> Any:
    """TF-IDF of word 1-2-grams and character 2-5-grams (within word bounds), side by side;
    `reading` says how both take a text (a preprocessor, lower-casing...)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    words = TfidfVectorizer(
        token_pattern=r"[a-z0-9'$]+|[!?]", ngram_range=(1, 2), sublinear_tf=True, **reading
    )
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, **reading)
    return FeatureUnion([("words", words), ("chars", chars)])


class TwoLevelClassifier:
    """What the stacked classifiers share: n-grams read by a logistic regression at level 1,
    whose probabilities a level 2 (each subclass's own) reads next to the default detector."""

    def __init__(self, c: float = 4.0, class_weight: str | None = None, seed: int = 0) -> None:
        self.c = c
        self.class_weight = class_weight
        self.seed = seed
        self.vectoriser: Any = None
        self.text_model: Any = None
        self.classes_: NDArray[Any] = np.array([])

    def _fit_level_one(
        self, matrix: Any, target: NDArray[Any], labels: Sequence[str], folds: int
    ) -> NDArray[np.float64]:
        """Fit level 1 on every text; its probabilities to fit level 2 on are predicted out of
        fold (`folds` at most), so level 2 learns how far to trust the words on unseen texts."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        # Unweighted at level 1: its probabilities must stay honest for level 2.
        self.text_model = LogisticRegression(C=self.c, max_iter=3000)
        folds = min(folds, *Counter(labels).values())
        first: NDArray[np.float64] | None = None
        if folds >= 2:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
            first = cross_val_predict(
                self.text_model, matrix, target, cv=splitter, method="predict_proba"
            )
        self.text_model.fit(matrix, target)
        if first is None:
            # A label seen once cannot be held out; level 2 then reads fitted values.
            first = self.text_model.predict_proba(matrix)
        return first

    def _level_one(self, read: list[str]) -> NDArray[np.float64]:
        """Level 1's probability of each class for texts as the vectoriser reads them."""
        if self.text_model is None or self.classes_.size == 0:
            raise ValueError("the classifier is not fitted")
        first: NDArray[np.float64] = self.text_model.predict_proba(self.vectoriser.transform(read))
        return first

    def _drop_cut_vocabulary(self) -> None:
        """Forget the words cut by document frequency: only kept for inspection, they bloat a file."""
        for _, vectoriser in self.vectoriser.transformer_list:
            vectoriser.stop_words_ = None


class StackedTextClassifier(TwoLevelClassifier):
    """Word and character n-gram logistic regression, stacked with the default detector."""

    meta_model: Any = None

    def _new_vectoriser(self) -> Any:
        return ngram_vectoriser(preprocessor=normalise)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> StackedTextClassifier:
        """Fit both levels on texts and their labels."""
        from sklearn.linear_model import LogisticRegression

        self.vectoriser = self._new_vectoriser()
        matrix = self.vectoriser.fit_transform(list(texts))
        target = np.asarray(labels)
        first = self._fit_level_one(matrix, target, labels, STACK_FOLDS)
        self.meta_model = LogisticRegression(C=1.0, max_iter=3000, class_weight=self.class_weight)
        self.meta_model.fit(np.hstack([first, reading_matrix(texts)]), target)
        self.classes_ = self.meta_model.classes_
        self._drop_cut_vocabulary()
        return self

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probability of each class (in the order of `classes_`) for each text."""
        first = self._level_one(list(texts))
        result: NDArray[np.float64] = self.meta_model.predict_proba(
            np.hstack([first, reading_matrix(texts)])
        )
        return result
