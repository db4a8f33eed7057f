"""A trained detector as plain arrays: what a model file holds and what reads messages.

Training fits scikit-learn objects (`ensemble.EnsembleTextClassifier`); `ArrayClassifier` keeps
only their numbers: the TF-IDF vocabularies and IDF weights, the two logistic regressions'
weights, and the boosted trees as flat node arrays. It predicts with NumPy (and scikit-learn's
vectoriser rebuilt from the vocabulary), so a model file needs no pickle and loading one never
runs code. The trees of every round and label are walked together, one level per step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalon.triage.features import FEATURE_COUNT, normalise, reading_matrix
from escalon.triage.tweets import SURFACE_COUNT, model_text, surface_vector

# How the text is normalised before the n-grams: `tweets` (format 2 on) keeps handles, links and
# emoji as tokens; `folded` is format 1's, the grammar's cleaning.
TEXT_FORMS: dict[str, Callable[[str], str]] = {"tweets": model_text, "folded": normalise}
_WORDS: dict[str, Any] = {
    "lowercase": False,
    "token_pattern": r"[a-z0-9'$]+|[!?]",
    "ngram_range": (1, 2),
    "sublinear_tf": True,
}
_CHARS: dict[str, Any] = {
    "lowercase": False,
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "sublinear_tf": True,
}
# A tree deeper than this was not grown by training (8 leaves give at most 7 levels).
MAX_TREE_DEPTH = 64
TREE_ARRAYS = ("tree_roots", "node_feature", "node_threshold", "node_left", "node_right")
TREE_ARRAYS_MORE = ("node_leaf", "node_missing_left", "node_value", "tree_baseline")
ARRAYS = (
    "word_terms",
    "word_idf",
    "char_terms",
    "char_idf",
    "text_coef",
    "text_intercept",
    "linear_coef",
    "linear_intercept",
)


class ArrayError(ValueError):
    """Arrays that do not make a classifier, and why."""


@dataclass(frozen=True, slots=True)
class Trees:
    """Gradient-boosted trees, all in one set of node arrays (child indices are global)."""

    roots: NDArray[np.int64]  # one root per tree, trees ordered by round then label
    feature: NDArray[np.int64]
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    leaf: NDArray[np.bool_]
    missing_left: NDArray[np.bool_]
    value: NDArray[np.float64]  # a leaf's contribution, learning rate included
    baseline: NDArray[np.float64]  # the raw score before any tree: one per tree of a round

    @property
    def per_round(self) -> int:
        """Trees grown in one round: one for two labels, one per label otherwise."""
        return len(self.baseline)

    def raw(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """The summed raw score of each row, one column per tree of a round."""
        rows = np.arange(len(matrix))[:, None]
        at = np.broadcast_to(self.roots, (len(matrix), len(self.roots))).copy()
        for _ in range(MAX_TREE_DEPTH):
            inner = ~self.leaf[at]
            if not inner.any():
                break
            seen = matrix[rows, self.feature[at]]
            go_left = (seen <= self.threshold[at]) | (np.isnan(seen) & self.missing_left[at])
            at = np.where(inner, np.where(go_left, self.left[at], self.right[at]), at)
        leaves = self.value[at].reshape(len(matrix), -1, self.per_round)
        result: NDArray[np.float64] = leaves.sum(axis=1) + self.baseline
        return result

    def probabilities(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """Label probabilities: a logistic of the raw score for two labels, a softmax otherwise."""
        raw = self.raw(matrix)
        if self.per_round == 1:
            return _two_labels(raw[:, 0])
        return _softmax(raw)

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The trees as named arrays for a model file."""
        return {
            "tree_roots": self.roots,
            "node_feature": self.feature,
            "node_threshold": self.threshold,
            "node_left": self.left,
            "node_right": self.right,
            "node_leaf": self.leaf,
            "node_missing_left": self.missing_left,
            "node_value": self.value,
            "tree_baseline": self.baseline,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]], width: int, labels: int) -> Trees:
        """Trees from a model file's arrays, once they are checked to make finite trees."""
        trees = cls(
            roots=_integers(arrays["tree_roots"]),
            feature=_integers(arrays["node_feature"]),
            threshold=_floats(arrays["node_threshold"]),
            left=_integers(arrays["node_left"]),
            right=_integers(arrays["node_right"]),
            leaf=np.asarray(arrays["node_leaf"], dtype=np.bool_),
            missing_left=np.asarray(arrays["node_missing_left"], dtype=np.bool_),
            value=_floats(arrays["node_value"]),
            baseline=_floats(arrays["tree_baseline"]),
        )
        trees.check(width, labels)
        return trees

    def check(self, width: int, labels: int) -> None:
        """Raise ArrayError unless every walk from a root ends at a leaf within the depth bound."""
        nodes = len(self.feature)
        if self.per_round != (1 if labels == 2 else labels):
            raise ArrayError("the trees' baseline does not fit the labels")
        per_node = (self.threshold, self.left, self.right, self.leaf, self.missing_left, self.value)
        if nodes == 0 or any(a.shape != (nodes,) for a in per_node):
            raise ArrayError("the trees' node arrays differ in length")
        if not len(self.roots) or len(self.roots) % self.per_round:
            raise ArrayError("the trees are not whole rounds")
        inner = ~self.leaf
        if (
            self.roots.min() < 0
            or self.roots.max() >= nodes
            or (inner & ((self.feature < 0) | (self.feature >= width))).any()
        ):
            raise ArrayError("a tree reads a feature or starts at a node that does not exist")
        # Children come after their parent, so every walk moves forward and ends.
        index = np.arange(nodes)
        for child in (self.left, self.right):
            if (inner & ((child <= index) | (child >= nodes))).any():
                raise ArrayError("a tree node points back or outside the trees")
        depth = np.zeros(nodes, dtype=np.int64)
        for node in np.flatnonzero(inner):
            depth[self.left[node]] = depth[self.right[node]] = depth[node] + 1
        if depth.max() >= MAX_TREE_DEPTH:
            raise ArrayError(f"a tree is deeper than {MAX_TREE_DEPTH} levels")
        if not (np.isfinite(self.value).all() and np.isfinite(self.baseline).all()):
            raise ArrayError("a tree holds a value that is not a number")

    @classmethod
    def from_boosting(cls, boosted: Any) -> Trees:
        """The trees of a fitted scikit-learn `HistGradientBoostingClassifier`."""
        nodes_of = [tree.nodes for round_ in boosted._predictors for tree in round_]
        if any(node["is_categorical"].any() for node in nodes_of):
            raise ArrayError("categorical splits are not supported")
        sizes = np.array([len(nodes) for nodes in nodes_of], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        nodes = np.concatenate(nodes_of)
        shift = np.repeat(offsets, sizes)
        leaf = nodes["is_leaf"].astype(np.bool_)
        return cls(
            roots=offsets,
            feature=np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64),
            threshold=nodes["num_threshold"].astype(np.float64),
            left=np.where(leaf, 0, nodes["left"].astype(np.int64) + shift),
            right=np.where(leaf, 0, nodes["right"].astype(np.int64) + shift),
            leaf=leaf,
            missing_left=nodes["missing_go_to_left"].astype(np.bool_),
            value=nodes["value"].astype(np.float64),
            baseline=np.asarray(boosted._baseline_prediction, dtype=np.float64).reshape(-1),
        )


@dataclass(frozen=True, slots=True)
class Linear:
    """A fitted logistic regression's weights, in scikit-learn's shapes."""

    coef: NDArray[np.float64]  # one row for two labels, one per label otherwise
    intercept: NDArray[np.float64]

    def probabilities(self, matrix: Any) -> NDArray[np.float64]:
        """Label probabilities of each row of `matrix` (dense or sparse)."""
        scores = np.asarray(matrix @ self.coef.T, dtype=np.float64) + self.intercept
        if self.coef.shape[0] == 1:
            return _two_labels(scores[:, 0])
        return _softmax(scores)

    @classmethod
    def from_regression(cls, regression: Any) -> Linear:
        """The weights of a fitted scikit-learn `LogisticRegression`."""
        return cls(
            coef=np.asarray(regression.coef_, dtype=np.float64),
            intercept=np.asarray(regression.intercept_, dtype=np.float64),
        )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """A TF-IDF vectoriser's terms (indexed by column) and their IDF weights."""

    terms: list[str]
    idf: NDArray[np.float64]

    @classmethod
    def from_vectoriser(cls, vectoriser: Any) -> Vocabulary:
        """The vocabulary of a fitted scikit-learn `TfidfVectorizer`."""
        terms = [""] * len(vectoriser.vocabulary_)
        for term, index in vectoriser.vocabulary_.items():
            terms[index] = term
        return cls(terms=terms, idf=np.asarray(vectoriser.idf_, dtype=np.float64))

    def vectoriser(self, settings: Mapping[str, Any]) -> Any:
        """A fitted `TfidfVectorizer` with these settings, rebuilt without fitting."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectoriser = TfidfVectorizer(**settings)
        vectoriser.vocabulary_ = {term: index for index, term in enumerate(self.terms)}
        vectoriser.idf_ = self.idf
        return vectoriser


@dataclass(slots=True)
class ArrayClassifier:
    """Level 1 (n-gram regression) and level 2 (regression, and trees averaged in) as arrays."""

    classes_: NDArray[np.str_]
    text_form: str
    words: Vocabulary
    chars: Vocabulary
    text_model: Linear
    linear: Linear
    trees: Trees | None
    surface: bool  # level 2 reads the surface measures (format 2 on)
    description: str = ""
    _vectorisers: tuple[Any, Any] | None = None

    def describe(self) -> str:
        """One line for the model's metadata."""
        return self.description

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probability of each class (in the order of `classes_`) for each text."""
        texts = list(texts)
        words, chars = self._ready()
        prepared = [TEXT_FORMS[self.text_form](text) for text in texts]
        split = len(self.words.terms)
        coef = self.text_model.coef
        scores = np.asarray(words.transform(prepared) @ coef[:, :split].T, dtype=np.float64)
        scores += np.asarray(chars.transform(prepared) @ coef[:, split:].T, dtype=np.float64)
        level_two = self.level_two_matrix(texts, _probabilities(scores + self.text_model.intercept))
        result = self.linear.probabilities(level_two)
        if self.trees is not None:
            result = (result + self.trees.probabilities(level_two)) / 2
        return result

    def level_two_matrix(
        self, texts: Sequence[str], first: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """What level 2 reads: level 1's probabilities, the detector's reading, the surface."""
        parts = [first, reading_matrix(texts)]
        if self.surface:
            surface = np.asarray([surface_vector(text) for text in texts], dtype=np.float64)
            parts.append(surface.reshape(-1, SURFACE_COUNT))
        return np.hstack(parts)

    def level_two_width(self) -> int:
        """Columns of the level-2 matrix."""
        return len(self.classes_) + FEATURE_COUNT + (SURFACE_COUNT if self.surface else 0)

    def _ready(self) -> tuple[Any, Any]:
        if self._vectorisers is None:
            self._vectorisers = (self.words.vectoriser(_WORDS), self.chars.vectoriser(_CHARS))
        return self._vectorisers

    def arrays(self) -> dict[str, NDArray[Any]]:
        """Every learned number as a named array (strings as a fixed-width string array)."""
        result: dict[str, NDArray[Any]] = {
            "word_terms": np.array(self.words.terms, dtype=str),
            "word_idf": self.words.idf,
            "char_terms": np.array(self.chars.terms, dtype=str),
            "char_idf": self.chars.idf,
            "text_coef": self.text_model.coef,
            "text_intercept": self.text_model.intercept,
            "linear_coef": self.linear.coef,
            "linear_intercept": self.linear.intercept,
        }
        if self.trees is not None:
            result.update(self.trees.arrays())
        return result

    def settings(self) -> dict[str, Any]:
        """What the header says of the classifier, besides its arrays."""
        return {
            "text_form": self.text_form,
            "surface": self.surface,
            "trees": self.trees is not None,
            "description": self.description,
        }

    @classmethod
    def from_arrays(
        cls, labels: Sequence[str], settings: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]
    ) -> ArrayClassifier:
        """A classifier from a model file's header settings and arrays (raises ArrayError)."""
        text_form = settings.get("text_form")
        if text_form not in TEXT_FORMS:
            raise ArrayError(f"unknown text form {text_form!r}")
        missing = [name for name in ARRAYS if name not in arrays]
        if settings.get("trees"):
            missing += [name for name in (*TREE_ARRAYS, *TREE_ARRAYS_MORE) if name not in arrays]
        if missing:
            raise ArrayError(f"missing arrays: {', '.join(missing)}")
        for name in ("word_terms", "char_terms"):
            if arrays[name].dtype.kind != "U" or arrays[name].ndim != 1:
                raise ArrayError(f"{name} is not a list of strings")
        words = Vocabulary(arrays["word_terms"].tolist(), _floats(arrays["word_idf"]))
        chars = Vocabulary(arrays["char_terms"].tolist(), _floats(arrays["char_idf"]))
        classifier = cls(
            classes_=np.array(list(labels), dtype=str),
            text_form=str(text_form),
            words=words,
            chars=chars,
            text_model=Linear(_floats(arrays["text_coef"]), _floats(arrays["text_intercept"])),
            linear=Linear(_floats(arrays["linear_coef"]), _floats(arrays["linear_intercept"])),
            trees=None,
            surface=bool(settings.get("surface")),
            description=str(settings.get("description", "")),
        )
        classifier.check()
        if settings.get("trees"):
            classifier.trees = Trees.from_arrays(arrays, classifier.level_two_width(), len(labels))
        return classifier

    def check(self) -> None:
        """Raise ArrayError unless the arrays' shapes agree with each other and the labels."""
        labels = len(self.classes_)
        rows = 1 if labels == 2 else labels
        width = len(self.words.terms) + len(self.chars.terms)
        if labels < 2:
            raise ArrayError("a classifier needs at least two labels")
        if self.words.idf.shape != (len(self.words.terms),) or self.chars.idf.shape != (
            len(self.chars.terms),
        ):
            raise ArrayError("a vocabulary and its IDF weights differ in length")
        for name, linear, columns in (
            ("level 1", self.text_model, width),
            ("level 2", self.linear, self.level_two_width()),
        ):
            if linear.coef.shape != (rows, columns) or linear.intercept.shape != (rows,):
                raise ArrayError(f"the {name} weights do not fit the labels and features")
        numbers = (self.words.idf, self.chars.idf, self.text_model.coef, self.linear.coef)
        if not all(np.isfinite(array).all() for array in numbers):
            raise ArrayError("a weight is not a number")

    @classmethod
    def from_fitted(cls, fitted: Any) -> ArrayClassifier:
        """The arrays of a fitted `EnsembleTextClassifier` or format 1's `StackedTextClassifier`."""
        from escalon.triage.ensemble import EnsembleTextClassifier

        ensemble = isinstance(fitted, EnsembleTextClassifier)
        words, chars = (part for _, part in fitted.vectoriser.transformer_list)
        boosted = getattr(fitted, "boosted", None)
        level_two = fitted.linear if ensemble else fitted.meta_model
        return cls(
            classes_=np.array([str(label) for label in fitted.classes_], dtype=str),
            text_form="tweets" if ensemble else "folded",
            words=Vocabulary.from_vectoriser(words),
            chars=Vocabulary.from_vectoriser(chars),
            text_model=Linear.from_regression(fitted.text_model),
            linear=Linear.from_regression(level_two),
            trees=Trees.from_boosting(boosted) if boosted is not None else None,
            surface=ensemble,
            description=fitted.describe() if ensemble else "format 1 stacked regression",
        )


def _probabilities(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    if scores.shape[1] == 1:
        return _two_labels(scores[:, 0])
    return _softmax(scores)


def _two_labels(score: NDArray[np.float64]) -> NDArray[np.float64]:
    positive = 1.0 / (1.0 + np.exp(-score))
    return np.column_stack([1.0 - positive, positive])


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result


def _floats(array: NDArray[Any]) -> NDArray[np.float64]:
    if array.dtype.kind not in "fiu":
        raise ArrayError("an array of numbers holds something else")
    return np.asarray(array, dtype=np.float64)


def _integers(array: NDArray[Any]) -> NDArray[np.int64]:
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise ArrayError("an array of node indices holds something else")
    return np.asarray(array, dtype=np.int64)
