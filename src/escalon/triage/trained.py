"""A detector trained on a team's own labelled messages, its label mapping and its model file.

scikit-learn, NumPy and joblib are imported inside the functions that need them, so that reading
this module (and running the default detector) stays fast.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from escalon.core import documents
from escalon.core.signals import KNOWN_INTENTS, TextSignals
from escalon.triage.default import DefaultDetector

FORMAT = "escalon-triage-model"
# Version 3: an `.npz` archive of the classifier's arrays (`arrays.ArrayClassifier`) under a JSON
# header. Versions 1 (`features.StackedTextClassifier`, expected-value sentiment) and 2
# (`ensemble.EnsembleTextClassifier`) were joblib pickles.
FORMAT_VERSION = 3
# Versions 1 and 2 were pickles: they are read only by `convert_pickled_model`, on request.
PICKLED_VERSIONS = frozenset({1, 2})
# How a model with sentiment values turns its label probabilities into a sentiment.
EXPECTED = "expected"  # the expected value of the labels' values (format 1's only rule)
EVEN_ODDS = "odds"  # negative only when the negative labels are more likely than not
SENTIMENT_RULES = (EXPECTED, EVEN_ODDS)
# An intent holds when the labels mapped to it together reach this probability.
INTENT_THRESHOLD = 0.5
DEFAULT_C = 4.0
_INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ModelError(ValueError):
    """A model file, a training file or a label mapping that cannot be used, and why."""


@dataclass(frozen=True, slots=True)
class LabelMapping:
    """What a model's labels mean to Escalon: intents they stand for and sentiment values."""

    intents: Mapping[str, str] = field(default_factory=dict)
    sentiment: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_options(
        cls, intents: Sequence[str] = (), sentiment: Sequence[str] = ()
    ) -> LabelMapping:
        """Parse `LABEL=INTENT` and `LABEL=VALUE` options."""
        return cls(
            intents=dict(_split_option(o, "--intent") for o in intents),
            sentiment={
                label: _sentiment_value(value, label)
                for label, value in (_split_option(o, "--sentiment") for o in sentiment)
            },
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> LabelMapping:
        """Read a mapping file with optional `intents:` and `sentiment:` sections."""
        try:
            data = documents.load_yaml(Path(path).read_text(encoding="utf-8"), documents.POLICY)
        except (OSError, yaml.YAMLError, documents.LimitExceeded) as error:
            raise ModelError(f"{path}: cannot read the label mapping: {error}") from error
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ModelError(f"{path}: a label mapping is a mapping with `intents` and `sentiment`")
        unknown = set(data) - {"intents", "sentiment"}
        if unknown:
            raise ModelError(
                f"{path}: unknown keys {sorted(map(str, unknown))}; use `intents`, `sentiment`"
            )
        intents = _section(data.get("intents"), path, "intents")
        sentiment = _section(data.get("sentiment"), path, "sentiment")
        return cls(
            intents={label: str(intent) for label, intent in intents.items()},
            sentiment={label: _sentiment_value(value, label) for label, value in sentiment.items()},
        )

    def merged(self, other: LabelMapping) -> LabelMapping:
        """This mapping with `other`'s entries added, `other` winning where both name a label."""
        return LabelMapping(
            intents={**self.intents, **other.intents},
            sentiment={**self.sentiment, **other.sentiment},
        )

    def check(self, labels: Iterable[str]) -> list[str]:
        """Raise on a mapping that cannot work with these labels; return warnings."""
        known = set(labels)
        for kind, entries in (("--intent", self.intents), ("--sentiment", self.sentiment)):
            missing = sorted(set(entries) - known)
            if missing:
                raise ModelError(
                    f"{kind} names labels not in the data: {missing}; "
                    f"the labels are {sorted(known)}"
                )
        for intent in self.intents.values():
            if not _INTENT_NAME.match(intent):
                raise ModelError(f"intent {intent!r} is not a name (lower-case letters, digits, _)")
        warnings = [
            f"intent {intent!r} is not one the engine knows ({', '.join(sorted(KNOWN_INTENTS))})"
            for intent in sorted(set(self.intents.values()) - KNOWN_INTENTS)
        ]
        if not self.intents and not self.sentiment:
            warnings.append(
                "no label is mapped: the model will only add `label` and `score`; "
                "use --intent LABEL=INTENT or --sentiment LABEL=VALUE"
            )
        unvalued = sorted(known - set(self.sentiment))
        if self.sentiment and unvalued:
            warnings.append(f"labels without a sentiment value count as 0: {unvalued}")
        return warnings


def _split_option(option: str, name: str) -> tuple[str, str]:
    label, sep, value = option.partition("=")
    if not sep or not label.strip() or not value.strip():
        raise ModelError(f"{name} {option!r}: expected LABEL=VALUE")
    return label.strip(), value.strip()


def _sentiment_value(value: object, label: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ModelError(f"sentiment of label {label!r}: {value!r} is not a number") from None
    if not -1.0 <= number <= 1.0 or math.isnan(number):
        raise ModelError(f"sentiment of label {label!r}: {number} is outside [-1, 1]")
    return number


def _section(value: object, path: str | Path, name: str) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModelError(f"{path}: `{name}` must map labels to values")
    for key in value:
        # YAML reads a bare yes/no/on/off as a boolean: the label the user meant is lost.
        if isinstance(key, bool):
            raise ModelError(f"{path}: `{name}` has a label read as {key}; quote it")
    return {str(key): item for key, item in value.items()}


@dataclass(frozen=True, slots=True)
class TrainingData:
    """Texts and their labels, read from a CSV file."""

    texts: list[str]
    labels: list[str]
    skipped: int


def read_training_csv(path: str | Path, text_column: str, label_column: str) -> TrainingData:
    """Read texts and labels from a CSV file with a header; rows missing either are skipped."""
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            columns = reader.fieldnames or []
            for column in (text_column, label_column):
                if column not in columns:
                    raise ModelError(f"{path}: no column {column!r}; the columns are {columns}")
            for row in reader:
                text = (row.get(text_column) or "").strip()
                label = (row.get(label_column) or "").strip()
                if not text or not label:
                    skipped += 1
                    continue
                texts.append(text)
                labels.append(label)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ModelError(f"{path}: cannot read the training data: {error}") from error
    return TrainingData(texts=texts, labels=labels, skipped=skipped)


def class_weight_for(mapping: LabelMapping) -> str | None:
    """The class weighting of the second level: balanced for intents, none for sentiment only."""
    # Intent labels are usually the rare ones and must not be drowned out; an expected value of
    # sentiment needs honest, unweighted probabilities.
    return "balanced" if mapping.intents else None


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A fitted classifier with its label mapping and what it was trained on.

    `sentiment_rule` says how label probabilities become a sentiment (see `sentiment_of`); it
    defaults to format 1's expected value, while `train` gives new models `EVEN_ODDS`.
    """

    classifier: Any
    labels: tuple[str, ...]
    mapping: LabelMapping
    meta: Mapping[str, Any]
    sentiment_rule: str = EXPECTED

    def probabilities(self, texts: Sequence[str]) -> list[list[float]]:
        """For each text, the probability of each label, in the order of `labels`."""
        if not texts:
            return []
        rows = self.classifier.predict_proba(list(texts))
        return [[float(p) for p in row] for row in rows]


def sentiment_of(row: Sequence[float], values: Sequence[float], rule: str) -> float:
    """The sentiment of one text from its label probabilities and the labels' values.

    `EXPECTED`: the expected value, clipped to [-1, 1]. It reads "more negative than positive" as
    negative even when a neutral label is by far the likeliest.

    `EVEN_ODDS`: with N the probability of the labels valued below 0, the sentiment is negative
    only when N > 1/2, and then it is their mean value (weighted by probability) times 2N - 1;
    likewise for the labels valued above 0; otherwise it is 0. So a text reads as negative when
    the model finds it more likely negative than not, and a certain label reads as its value.
    """
    if rule == EXPECTED:
        expected = sum(p * v for p, v in zip(row, values, strict=True))
        return max(-1.0, min(1.0, expected))
    if rule != EVEN_ODDS:
        raise ValueError(f"unknown sentiment rule {rule!r}; the rules are {SENTIMENT_RULES}")
    for sign in (-1.0, 1.0):
        mass = sum(p for p, v in zip(row, values, strict=True) if v * sign > 0)
        if mass > 0.5:
            mean = sum(p * v for p, v in zip(row, values, strict=True) if v * sign > 0) / mass
            return max(-1.0, min(1.0, mean * (2 * mass - 1)))
    return 0.0


def train(
    data: TrainingData,
    mapping: LabelMapping,
    *,
    c: float = DEFAULT_C,
    seed: int = 0,
    source: Mapping[str, str] | None = None,
    sentiment_rule: str = EVEN_ODDS,
) -> tuple[TrainedModel, list[str]]:
    """Fit a model on labelled texts; return it with the mapping's warnings."""
    if sentiment_rule not in SENTIMENT_RULES:
        raise ModelError(
            f"unknown sentiment rule {sentiment_rule!r}; the rules are {SENTIMENT_RULES}"
        )
    counts = Counter(data.labels)
    if len(counts) < 2:
        raise ModelError(f"training needs at least two labels; the data has {sorted(counts)}")
    warnings = mapping.check(counts)
    from escalon.triage.ensemble import EnsembleTextClassifier

    weight = class_weight_for(mapping)
    classifier = EnsembleTextClassifier(c=c, class_weight=weight, seed=seed)
    try:
        classifier.fit(data.texts, data.labels)
    except ValueError as error:  # e.g. texts with no words left to learn from
        raise ModelError(f"training failed: {error}") from error
    labels = tuple(str(label) for label in classifier.classes_)
    from sklearn import __version__ as sklearn_version

    from escalon import __version__ as escalon_version

    meta: dict[str, Any] = {
        "rows": len(data.texts),
        "skipped_rows": data.skipped,
        "label_counts": {label: counts[label] for label in labels},
        "classifier": classifier.describe(),
        "sklearn_version": sklearn_version,
        "escalon_version": escalon_version,
        **(source or {}),
    }
    model = TrainedModel(
        # Kept as plain arrays: what is saved is what was used, and it reads faster.
        classifier=_as_arrays(classifier),
        labels=labels,
        mapping=mapping,
        meta=meta,
        sentiment_rule=sentiment_rule,
    )
    return model, warnings


def save_model(model: TrainedModel, path: str | Path) -> None:
    """Write a model file: an `.npz` archive of plain arrays under a JSON header."""
    import numpy as np

    classifier = _as_arrays(model.classifier)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "labels": list(model.labels),
        "intents": dict(model.mapping.intents),
        "sentiment": dict(model.mapping.sentiment),
        "meta": dict(model.meta),
        "sentiment_rule": model.sentiment_rule,
        "classifier": classifier.settings(),
    }
    arrays = {"header": np.array(json.dumps(header)), **classifier.arrays()}
    try:
        with open(path, "wb") as stream:
            np.savez_compressed(stream, **arrays)
    except OSError as error:
        raise ModelError(f"{path}: cannot write the model: {error}") from error


def load_model(path: str | Path) -> TrainedModel:
    """Read a model file written by `save_model`; loading never runs code from the file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    if not _is_archive(path):
        raise ModelError(
            f"{path}: not a readable Escalon triage model (not a model archive). Models of "
            f"format 1 and 2, from earlier Escalon releases, were pickles, which run code when "
            f"loaded: if you trained this one yourself, `escalon triage convert {path} NEW` "
            f"rewrites it; or train it again"
        )
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as archive:
            if "header" not in archive.files:
                raise ModelError(f"{path}: not an Escalon triage model (no header)")
            header = json.loads(str(archive["header"]))
            arrays = {name: archive[name] for name in archive.files if name != "header"}
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        # Includes a pickled array, refused by allow_pickle=False, and a truncated archive.
        raise ModelError(f"{path}: not a readable Escalon triage model ({error})") from None
    return _model_from(path, header, arrays)


def _model_from(path: Path, header: Any, arrays: dict[str, Any]) -> TrainedModel:
    """The model of a checked header and arrays (raises ModelError naming the file)."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError(f"{path}: not an Escalon triage model (no {FORMAT!r} header)")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {version!r}; this Escalon reads version "
            f"{FORMAT_VERSION}: train the model again"
        )
    from escalon.triage.arrays import ArrayClassifier, ArrayError

    try:
        labels = tuple(str(label) for label in header["labels"])
        mapping = LabelMapping(
            intents={str(k): str(v) for k, v in header["intents"].items()},
            sentiment={str(k): float(v) for k, v in header["sentiment"].items()},
        )
        meta = dict(header["meta"])
        rule = str(header["sentiment_rule"])
        classifier = ArrayClassifier.from_arrays(labels, dict(header["classifier"]), arrays)
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        detail = str(error) if isinstance(error, ArrayError) else f"{type(error).__name__}: {error}"
        raise ModelError(f"{path}: damaged model file ({detail})") from None
    if rule not in SENTIMENT_RULES:
        raise ModelError(f"{path}: damaged model file (unknown sentiment rule {rule!r})")
    if len(set(labels)) != len(labels) or not set(mapping.intents) | set(mapping.sentiment) <= set(
        labels
    ):
        raise ModelError(f"{path}: damaged model file (the mapping names unknown labels)")
    return TrainedModel(
        classifier=classifier, labels=labels, mapping=mapping, meta=meta, sentiment_rule=rule
    )


def convert_pickled_model(source: str | Path, target: str | Path) -> TrainedModel:
    """Rewrite a format 1 or 2 model (a pickle) as a current model file.

    Unpickling runs code from the file: this is for models you trained yourself, and it is only
    ever done here, when a person asks for it by name.
    """
    import joblib

    source = Path(source)
    if not source.is_file():
        raise ModelError(f"{source}: no such model file")
    if _is_archive(source):
        raise ModelError(f"{source}: already a current model file; nothing to convert")
    try:
        payload = joblib.load(source)
    except Exception as error:  # an unpickler can fail in any way on a damaged or foreign file
        raise ModelError(
            f"{source}: not a readable Escalon triage model ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{source}: not an Escalon triage model (no {FORMAT!r} header)")
    version = payload.get("format_version")
    if version not in PICKLED_VERSIONS:
        raise ModelError(f"{source}: model format version {version!r} is not a pickled format")
    try:
        model = TrainedModel(
            classifier=_as_arrays(payload["classifier"]),
            labels=tuple(str(label) for label in payload["labels"]),
            mapping=LabelMapping(
                intents={str(k): str(v) for k, v in payload["intents"].items()},
                sentiment={str(k): float(v) for k, v in payload["sentiment"].items()},
            ),
            meta={**payload["meta"], "converted_from_format": version},
            # Format 1 knew one rule, the expected value.
            sentiment_rule=str(payload["sentiment_rule"]) if version >= 2 else EXPECTED,
        )
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        raise ModelError(
            f"{source}: damaged model file ({type(error).__name__}: {error})"
        ) from error
    if [str(c) for c in model.classifier.classes_] != list(model.labels):
        raise ModelError(f"{source}: damaged model file (classifier and labels disagree)")
    save_model(model, target)
    return model


def _is_archive(path: Path) -> bool:
    """Whether the file starts like a zip archive (an `.npz`), whole or truncated."""
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == b"PK\x03\x04"
    except OSError as error:
        raise ModelError(f"{path}: cannot read the model: {error}") from error


def _as_arrays(classifier: Any) -> Any:
    """The classifier as plain arrays (`arrays.ArrayClassifier`), fitted objects converted."""
    from escalon.triage.arrays import ArrayClassifier, ArrayError

    if isinstance(classifier, ArrayClassifier):
        return classifier
    try:
        return ArrayClassifier.from_fitted(classifier)
    except (ArrayError, AttributeError, ValueError) as error:
        raise ModelError(f"the classifier cannot be stored as arrays: {error}") from error


class ModelDetector:
    """A trained model read together with the default detector.

    Intents the model maps are decided by the model; other intents, and the sentiment when no
    label has a sentiment value, come from the default detector.
    """

    def __init__(self, model: TrainedModel, fallback: DefaultDetector | None = None) -> None:
        self.model = model
        self._fallback = fallback or DefaultDetector()
        self._mapped_intents = frozenset(model.mapping.intents.values())
        # For each mapped intent, the positions of the labels that stand for it.
        self._intent_columns = {
            intent: tuple(
                i
                for i, label in enumerate(model.labels)
                if model.mapping.intents.get(label) == intent
            )
            for intent in self._mapped_intents
        }
        self._values = tuple(model.mapping.sentiment.get(label, 0.0) for label in model.labels)

    def analyze(self, text: str) -> TextSignals:
        """Signals of one text."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[TextSignals]:
        """Signals of several texts at once (much faster than one by one)."""
        return [
            self._signals(text, row)
            for text, row in zip(texts, self.model.probabilities(texts), strict=True)
        ]

    def _signals(self, text: str, row: list[float]) -> TextSignals:
        base = self._fallback.analyze(text)
        best = max(range(len(row)), key=row.__getitem__)
        intents = set(base.intents - self._mapped_intents)
        for intent, columns in self._intent_columns.items():
            # The shown label and the intents must agree, so the top label's intent always holds.
            if best in columns or sum(row[i] for i in columns) >= INTENT_THRESHOLD:
                intents.add(intent)
        sentiment = base.sentiment
        if self.model.mapping.sentiment:
            sentiment = sentiment_of(row, self._values, self.model.sentiment_rule)
        return TextSignals(
            intents=frozenset(intents),
            sentiment=sentiment,
            label=self.model.labels[best],
            score=row[best],
            language=base.language,
        )
