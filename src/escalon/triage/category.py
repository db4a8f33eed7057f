"""A case's category from its text: a classifier a team trains on its own past cases.

The model is TF-IDF over word 1-2-grams and character 2-5-grams (within word bounds) and one
multinomial logistic regression. Its file holds only numbers, strings and a JSON header in a
NumPy `.npz` archive read with `allow_pickle=False`: loading a model never runs code.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from escalon.core.signals import CategoryGuess
from escalon.triage.trained import ModelError, TrainingData, read_training_csv

FORMAT = "escalon-category-model"
FORMAT_VERSION = 1
# Vectoriser settings of format version 1: a file stores its vocabulary and weights, the code
# these settings; a later format version may change them, never this one.
_WORD: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "token_pattern": r"(?u)\b\w+\b",
    "lowercase": True,
    "strip_accents": "unicode",
    "sublinear_tf": True,
    "dtype": np.float32,
}
_CHAR: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "lowercase": True,
    "strip_accents": "unicode",
    "sublinear_tf": True,
    "dtype": np.float32,
}
# Bounds on what training keeps, so a model of many long e-mails stays a few megabytes a label.
MAX_WORD_FEATURES = 100_000
MAX_CHAR_FEATURES = 200_000
MAX_TEXT_CHARS = 5_000
MAX_LABEL_CHARS = 100  # a case's category column  # the start of a message says what it is about
_ARRAYS = ("word_terms", "word_idf", "char_terms", "char_idf", "coef", "intercept")


@dataclass(slots=True)
class CategoryModel:
    """A fitted category classifier: vocabularies, IDF weights and the regression's weights."""

    labels: tuple[str, ...]
    word_terms: list[str]
    word_idf: NDArray[np.float32]
    char_terms: list[str]
    char_idf: NDArray[np.float32]
    coef: NDArray[np.float32]  # one row per label
    intercept: NDArray[np.float32]
    meta: dict[str, Any] = field(default_factory=dict)
    _vectorizers: tuple[Any, Any] | None = None

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """One row of label probabilities (in `labels` order) per text."""
        word, char = self._vectorizers_ready()
        clipped = [text[:MAX_TEXT_CHARS] for text in texts]
        split = len(self.word_terms)
        scores = (
            np.asarray(word.transform(clipped) @ self.coef[:, :split].T, dtype=np.float64)
            + np.asarray(char.transform(clipped) @ self.coef[:, split:].T, dtype=np.float64)
            + self.intercept
        )
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        result: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
        return result

    def predict(self, texts: Sequence[str]) -> list[CategoryGuess]:
        """The likeliest category of each text, with its probability."""
        if not texts:
            return []
        rows = self.probabilities(texts)
        best = rows.argmax(axis=1)
        return [
            CategoryGuess(self.labels[int(index)], float(row[index]))
            for row, index in zip(rows, best, strict=True)
        ]

    def guess(self, text: str) -> CategoryGuess:
        """The likeliest category of one text."""
        return self.predict([text])[0]

    def _vectorizers_ready(self) -> tuple[Any, Any]:
        if self._vectorizers is None:
            self._vectorizers = (
                _vectorizer(_WORD, self.word_terms, self.word_idf),
                _vectorizer(_CHAR, self.char_terms, self.char_idf),
            )
        return self._vectorizers


def _vectorizer(settings: dict[str, Any], terms: list[str], idf: NDArray[np.float32]) -> Any:
    """A fitted TF-IDF vectoriser rebuilt from its vocabulary and IDF weights."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(**settings)
    vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms)}
    vectorizer.idf_ = idf
    return vectorizer


def train_categories(
    data: TrainingData, *, c: float = 4.0, seed: int = 0, source: dict[str, Any] | None = None
) -> CategoryModel:
    """Fit a category classifier on texts and their categories (raises ModelError)."""
    from sklearn import __version__ as sklearn_version
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    counts = Counter(data.labels)
    too_long = [label for label in counts if len(label) > MAX_LABEL_CHARS]
    if too_long:
        raise ModelError(
            f"a category has at most {MAX_LABEL_CHARS} characters: {too_long[0][:120]!r}..."
        )
    if len(counts) < 2:
        raise ModelError(
            f"training needs at least two categories; the data has {len(counts)} "
            f"({', '.join(sorted(counts)) or 'none'})"
        )
    started = time.perf_counter()
    texts = [text[:MAX_TEXT_CHARS] for text in data.texts]
    word = TfidfVectorizer(**_WORD, max_features=MAX_WORD_FEATURES)
    char = TfidfVectorizer(**_CHAR, max_features=MAX_CHAR_FEATURES)
    # Word columns first, then character columns: the order `probabilities` splits them in.
    features = FeatureUnion([("word", word), ("char", char)]).fit_transform(texts)
    regression = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    regression.fit(features, data.labels)
    labels = tuple(str(label) for label in regression.classes_)
    coef = np.asarray(regression.coef_, dtype=np.float32)
    intercept = np.asarray(regression.intercept_, dtype=np.float32)
    if len(labels) == 2:
        # Two labels: one row of weights for the second; as a softmax over (0, z) it is the same.
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros(1, dtype=np.float32), intercept])
    meta = {
        "rows": len(texts),
        "skipped": data.skipped,
        "label_counts": {label: counts[label] for label in labels},
        "classifier": "TF-IDF word 1-2-grams + char 2-5-grams, multinomial logistic regression",
        "c": c,
        "seed": seed,
        "scikit_learn": sklearn_version,
        "train_seconds": round(time.perf_counter() - started, 3),
        "source": source or {},
    }
    return CategoryModel(
        labels=labels,
        word_terms=_terms(word.vocabulary_),
        word_idf=np.asarray(word.idf_, dtype=np.float32),
        char_terms=_terms(char.vocabulary_),
        char_idf=np.asarray(char.idf_, dtype=np.float32),
        coef=coef,
        intercept=intercept,
        meta=meta,
    )


def _terms(vocabulary: dict[str, int]) -> list[str]:
    """The vocabulary as a list indexed by column."""
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


def save_category_model(model: CategoryModel, path: str | Path) -> None:
    """Write the model as an `.npz` archive of plain arrays and a JSON header."""
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "labels": list(model.labels),
        "meta": model.meta,
    }
    arrays = {
        "header": np.array(json.dumps(header)),
        "word_terms": np.array(model.word_terms, dtype=str),
        "word_idf": model.word_idf,
        "char_terms": np.array(model.char_terms, dtype=str),
        "char_idf": model.char_idf,
        "coef": model.coef,
        "intercept": model.intercept,
    }
    try:
        with open(path, "wb") as stream:
            np.savez_compressed(stream, **arrays)  # type: ignore[arg-type]
    except OSError as error:
        raise ModelError(f"{path}: cannot write the model: {error}") from error


def load_category_model(path: str | Path) -> CategoryModel:
    """Read a model written by `save_category_model`; raise ModelError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            missing = {"header", *_ARRAYS} - names
            if missing:
                raise ModelError(
                    f"{path}: not an Escalon category model (missing {', '.join(sorted(missing))})"
                )
            header = json.loads(str(archive["header"]))
            arrays = {name: archive[name] for name in _ARRAYS}
    except ModelError:
        raise
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except (OSError, ValueError, KeyError, EOFError) as error:
        # Includes a pickled array (refused by allow_pickle=False) and a truncated archive.
        raise ModelError(f"{path}: not a readable category model ({error})") from None
    return _checked(path, header, arrays)


def _checked(path: str | Path, header: Any, arrays: dict[str, Any]) -> CategoryModel:
    """The model, once its header and array shapes agree."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError(f"{path}: not an Escalon category model")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{path}: category model format {version!r}; this Escalon reads {FORMAT_VERSION}"
        )
    labels = header.get("labels")
    if (
        not isinstance(labels, list)
        or len(labels) < 2
        or not all(isinstance(label, str) and label for label in labels)
    ):
        raise ModelError(f"{path}: the model's labels are not a list of names")
    word_terms, char_terms = arrays["word_terms"], arrays["char_terms"]
    word_idf, char_idf = arrays["word_idf"], arrays["char_idf"]
    coef, intercept = arrays["coef"], arrays["intercept"]
    width = len(word_terms) + len(char_terms)
    if (
        word_terms.dtype.kind != "U"
        or char_terms.dtype.kind != "U"
        or word_idf.shape != (len(word_terms),)
        or char_idf.shape != (len(char_terms),)
        or coef.shape != (len(labels), width)
        or intercept.shape != (len(labels),)
        or not all(a.dtype.kind == "f" for a in (word_idf, char_idf, coef, intercept))
    ):
        raise ModelError(f"{path}: the model's arrays do not fit together")
    meta = header.get("meta")
    return CategoryModel(
        labels=tuple(labels),
        word_terms=word_terms.tolist(),
        word_idf=word_idf.astype(np.float32),
        char_terms=char_terms.tolist(),
        char_idf=char_idf.astype(np.float32),
        coef=coef.astype(np.float32),
        intercept=intercept.astype(np.float32),
        meta=meta if isinstance(meta, dict) else {},
    )


def read_labelled(path: str | Path, text_field: str, label_field: str) -> TrainingData:
    """Texts and categories from a CSV file with a header, or JSON lines (`.jsonl`, `.ndjson`)."""
    if Path(path).suffix.lower() not in {".jsonl", ".ndjson"}:
        return read_training_csv(path, text_field, label_field)
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    try:
        with open(path, encoding="utf-8-sig") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as error:
                    raise ModelError(f"{path}:{number}: not valid JSON ({error})") from None
                text = row.get(text_field) if isinstance(row, dict) else None
                label = row.get(label_field) if isinstance(row, dict) else None
                if not isinstance(text, str) or not text.strip() or not _is_label(label):
                    skipped += 1
                    continue
                texts.append(text.strip())
                labels.append(str(label).strip())
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: cannot read the training data: {error}") from error
    return TrainingData(texts=texts, labels=labels, skipped=skipped)


def _is_label(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and bool(str(value).strip())


def accuracy_and_macro_f1(truth: Iterable[str], guessed: Iterable[str]) -> tuple[float, float]:
    """Share of right answers, and the mean over labels of each label's F1."""
    pairs = list(zip(truth, guessed, strict=True))
    if not pairs:
        return math.nan, math.nan
    right = sum(a == b for a, b in pairs)
    labels = {a for a, _ in pairs} | {b for _, b in pairs}
    scores = []
    for label in labels:
        hits = sum(a == b == label for a, b in pairs)
        wanted = sum(a == label for a, _ in pairs)
        found = sum(b == label for _, b in pairs)
        scores.append(2 * hits / (wanted + found) if wanted + found else 0.0)
    return right / len(pairs), sum(scores) / len(scores)


class CategoryClassifier:
    """A category model loaded on first use, answering only above a confidence threshold."""

    def __init__(self, model_path: str, min_confidence: float) -> None:
        self.model_path = model_path
        self.min_confidence = min_confidence
        self._model: CategoryModel | None = None
        # Why the model could not be read: kept, so a missing or broken file is read once,
        # not again at every case's opening (the process is restarted once it is fixed).
        self._failure: ModelError | None = None
        self._lock = threading.Lock()

    def categorize(self, text: str) -> CategoryGuess | None:
        """The likeliest category when its probability reaches the threshold."""
        model = self._model
        if model is None:
            with self._lock:
                if self._failure is not None:
                    raise self._failure
                if self._model is None:
                    try:
                        self._model = load_category_model(self.model_path)
                    except ModelError as error:
                        self._failure = error
                        raise
                model = self._model
        guess = model.guess(text)
        return guess if guess.confidence >= self.min_confidence else None
