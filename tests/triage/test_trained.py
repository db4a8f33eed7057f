"""Trained detectors: label mapping, training, the model file and `load_analyzer`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from numpy.typing import NDArray

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST
from escalon.triage import DefaultDetector, ModelDetector, ModelError, load_analyzer
from escalon.triage.features import StackedTextClassifier
from escalon.triage.trained import (
    EVEN_ODDS,
    EXPECTED,
    FORMAT,
    FORMAT_VERSION,
    LabelMapping,
    TrainedModel,
    TrainingData,
    convert_pickled_model,
    load_model,
    read_training_csv,
    save_model,
    sentiment_of,
    train,
)
from tests.builders.paths import TRIAGE_MESSAGES

FIXTURE = TRIAGE_MESSAGES


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return read_training_csv(FIXTURE, "message", "kind")


@pytest.fixture(scope="module")
def model(data: TrainingData) -> TrainedModel:
    mapping = LabelMapping(intents={"escalate": MANAGER_REQUEST})
    fitted, _ = train(data, mapping)
    return fitted


@pytest.fixture(scope="module")
def model_file(model: TrainedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "kind.model"
    save_model(model, path)
    return path


def test_mapping_options_parse_labels_intents_and_values() -> None:
    mapping = LabelMapping.from_options(["1=complaint"], ["neg=-1", "pos = 0.5"])
    assert mapping.intents == {"1": "complaint"}
    assert mapping.sentiment == {"neg": -1.0, "pos": 0.5}


@pytest.mark.parametrize(
    ("intents", "sentiment", "message"),
    [
        (["complaint"], [], "expected LABEL=VALUE"),
        ([], ["neg=bad"], "not a number"),
        ([], ["neg=-2"], "outside [-1, 1]"),
    ],
)
def test_bad_mapping_options_are_refused(
    intents: list[str], sentiment: list[str], message: str
) -> None:
    with pytest.raises(ModelError, match=message.replace("[", r"\[").replace("]", r"\]")):
        LabelMapping.from_options(intents, sentiment)


def test_mapping_file_reads_both_sections_and_quoted_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("intents:\n  1: complaint\nsentiment:\n  '1': -0.8\n  0: 0\n")
    mapping = LabelMapping.from_yaml(path)
    assert mapping.intents == {"1": "complaint"}
    assert mapping.sentiment == {"1": -0.8, "0": 0.0}


def test_mapping_file_with_unknown_key_or_boolean_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("intent:\n  a: complaint\n")
    with pytest.raises(ModelError, match="unknown keys"):
        LabelMapping.from_yaml(path)
    path.write_text("intents:\n  yes: complaint\n")
    with pytest.raises(ModelError, match="quote it"):
        LabelMapping.from_yaml(path)


def test_mapping_check_refuses_labels_missing_from_the_data() -> None:
    with pytest.raises(ModelError, match=r"not in the data: \['escalation'\]"):
        LabelMapping(intents={"escalation": MANAGER_REQUEST}).check(["escalate", "question"])


def test_mapping_check_warns_of_unknown_intents_and_unvalued_labels() -> None:
    warnings = LabelMapping(intents={"a": "refund_request"}, sentiment={"a": -1.0}).check(
        ["a", "b"]
    )
    assert any("refund_request" in w for w in warnings)
    assert any("count as 0: ['b']" in w for w in warnings)


def test_training_csv_skips_rows_missing_text_or_label(data: TrainingData) -> None:
    assert data.skipped == 2
    assert len(data.texts) == len(data.labels) == 35
    assert set(data.labels) == {"escalate", "complaint", "question"}


def test_training_csv_with_a_missing_column_names_the_columns() -> None:
    with pytest.raises(ModelError, match="no column 'body'"):
        read_training_csv(FIXTURE, "body", "kind")


def test_training_needs_two_labels() -> None:
    with pytest.raises(ModelError, match="at least two labels"):
        train(TrainingData(texts=["a", "b"], labels=["x", "x"], skipped=0), LabelMapping())


class FixedClassifier:
    """Answers the same probabilities for every text, to test how they are read."""

    def __init__(self, labels: list[str], row: list[float]) -> None:
        self.classes_ = np.array(labels)
        self.row = row

    def predict_proba(self, texts: list[str]) -> NDArray[np.float64]:
        return np.array([self.row for _ in texts])


def fixed_model(labels: list[str], row: list[float], mapping: LabelMapping) -> TrainedModel:
    return TrainedModel(
        classifier=FixedClassifier(labels, row), labels=tuple(labels), mapping=mapping, meta={}
    )


def test_a_mapped_intent_is_the_models_call_even_against_the_default_detector() -> None:
    mapping = LabelMapping(intents={"escalate": MANAGER_REQUEST})
    says_no = fixed_model(["escalate", "other"], [0.2, 0.8], mapping)
    text = "get me your supervisor, I was charged twice"
    assert MANAGER_REQUEST in DefaultDetector().analyze(text).intents
    signals = ModelDetector(says_no).analyze(text)
    assert MANAGER_REQUEST not in signals.intents
    assert (signals.label, signals.score) == ("other", 0.8)
    # complaint is not mapped: the default detector's answer stands, and so does its sentiment.
    assert COMPLAINT in signals.intents
    assert signals.sentiment == DefaultDetector().analyze(text).sentiment
    says_yes = fixed_model(["escalate", "other"], [0.7, 0.3], mapping)
    assert MANAGER_REQUEST in ModelDetector(says_yes).analyze("What are your hours?").intents


def test_an_intent_holds_when_its_labels_together_are_likely_or_one_is_on_top() -> None:
    mapping = LabelMapping(intents={"angry": COMPLAINT, "broken": COMPLAINT})
    labels = ["angry", "broken", "question", "thanks"]
    split_mass = fixed_model(labels, [0.3, 0.3, 0.35, 0.05], mapping)
    assert COMPLAINT in ModelDetector(split_mass).analyze("hello").intents
    on_top = fixed_model(labels, [0.4, 0.0, 0.3, 0.3], mapping)
    assert COMPLAINT in ModelDetector(on_top).analyze("hello").intents
    unlikely = fixed_model(labels, [0.2, 0.1, 0.4, 0.3], mapping)
    assert COMPLAINT not in ModelDetector(unlikely).analyze("hello").intents


def test_model_sentiment_is_clipped_and_unvalued_labels_count_as_zero() -> None:
    mapping = LabelMapping(sentiment={"neg": -1.0, "pos": 1.0})
    model = fixed_model(["neg", "other", "pos"], [0.6, 0.3, 0.1], mapping)
    assert ModelDetector(model).analyze("hi").sentiment == pytest.approx(-0.5)


def test_a_trained_model_learns_phrasings_of_its_own_labels(model: TrainedModel) -> None:
    detector = ModelDetector(model)
    asked = detector.analyze("Please put me through to your supervisor, now.")
    assert asked.label == "escalate"
    assert MANAGER_REQUEST in asked.intents
    question = detector.analyze("Where do I find last month's invoice?")
    assert question.label == "question"
    assert MANAGER_REQUEST not in question.intents


def test_model_sentiment_is_the_expected_value_of_the_mapped_labels(
    data: TrainingData,
) -> None:
    moods = read_training_csv(FIXTURE, "message", "mood")
    mapping = LabelMapping(sentiment={"negative": -1.0, "neutral": 0.0, "positive": 1.0})
    mood_model, _ = train(moods, mapping, sentiment_rule=EXPECTED)
    probabilities = mood_model.probabilities(["Great job on the quick delivery!"])[0]
    values = [mapping.sentiment[label] for label in mood_model.labels]
    signals = ModelDetector(mood_model).analyze("Great job on the quick delivery!")
    assert signals.sentiment == pytest.approx(
        sum(p * v for p, v in zip(probabilities, values, strict=True))
    )
    assert signals.sentiment > 0


def test_saved_model_loads_with_its_mapping_and_metadata(
    model: TrainedModel, model_file: Path
) -> None:
    loaded = load_model(model_file)
    assert loaded.labels == model.labels
    assert loaded.mapping.intents == {"escalate": MANAGER_REQUEST}
    assert loaded.meta["rows"] == 35
    assert loaded.meta["label_counts"]["escalate"] == 10
    text = "Get me a human agent please"
    assert loaded.probabilities([text]) == model.probabilities([text])


def test_load_analyzer_gives_the_default_or_a_model_backed_detector(model_file: Path) -> None:
    assert isinstance(load_analyzer(None), DefaultDetector)
    analyzer = load_analyzer(str(model_file))
    assert isinstance(analyzer, ModelDetector)
    assert analyzer.analyze("Get me a human agent please").label == "escalate"


def test_loading_a_corrupt_file_gives_a_clear_error(tmp_path: Path, model_file: Path) -> None:
    corrupt = tmp_path / "corrupt.model"
    corrupt.write_bytes(model_file.read_bytes()[:200])
    with pytest.raises(ModelError, match="not a readable Escalon triage model"):
        load_analyzer(str(corrupt))


def test_loading_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.model")


def rewrite_header(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a saved model's JSON header in place, keeping its arrays."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays["header"]))
    change(header)
    arrays["header"] = np.array(json.dumps(header))
    with open(path, "wb") as stream:
        np.savez_compressed(stream, **arrays)


class _Canary:
    """Unpickling this writes a file: proof that a loader ran code from the model file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "code ran"))


def test_loading_a_pickle_never_runs_its_code_and_says_how_to_convert(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    planted = tmp_path / "planted.model"
    joblib.dump({"format": FORMAT, "format_version": 2, "classifier": _Canary(canary)}, planted)
    with pytest.raises(ModelError, match="escalon triage convert"):
        load_model(planted)
    # The same object hidden as an array inside an archive.
    archived = tmp_path / "archived.model"
    with open(archived, "wb") as stream:
        np.savez(stream, header=np.array("{}"), text_coef=np.array([_Canary(canary)], dtype=object))
    with pytest.raises(ModelError, match="not a readable Escalon triage model"):
        load_model(archived)
    assert not canary.exists()


def test_loading_someone_elses_archive_or_a_newer_format_is_refused(
    tmp_path: Path, model_file: Path
) -> None:
    foreign = tmp_path / "foreign.model"
    np.savez(foreign.open("wb"), weights=np.array([1, 2, 3]))
    with pytest.raises(ModelError, match="not an Escalon triage model"):
        load_model(foreign)
    newer = tmp_path / "newer.model"
    newer.write_bytes(model_file.read_bytes())
    rewrite_header(newer, lambda header: header.update(format_version=99))
    with pytest.raises(ModelError, match="format version 99"):
        load_model(newer)


def test_model_error_is_a_value_error_so_callers_can_catch_it_plainly() -> None:
    assert issubclass(ModelError, ValueError)


MOODS = LabelMapping(sentiment={"negative": -1.0, "neutral": 0.0, "positive": 1.0})


def test_new_models_read_sentiment_at_even_odds_and_keep_the_rule_in_their_file(
    tmp_path: Path,
) -> None:
    mood_model, _ = train(read_training_csv(FIXTURE, "message", "mood"), MOODS)
    assert mood_model.sentiment_rule == EVEN_ODDS
    text = "Great job on the quick delivery!"
    values = [MOODS.sentiment[label] for label in mood_model.labels]
    expected = sentiment_of(mood_model.probabilities([text])[0], values, EVEN_ODDS)
    assert ModelDetector(mood_model).analyze(text).sentiment == pytest.approx(expected)
    path = tmp_path / "mood.model"
    save_model(mood_model, path)
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(str(archive["header"]))
    assert (header["format_version"], header["sentiment_rule"]) == (FORMAT_VERSION, EVEN_ODDS)
    assert load_model(path).sentiment_rule == EVEN_ODDS


@pytest.mark.parametrize(
    ("row", "expected", "even_odds"),
    [
        # Neutral is the likeliest: the expected value leans negative, even odds say neither.
        ([0.4, 0.5, 0.1], -0.3, 0.0),
        ([0.8, 0.1, 0.1], -0.7, -0.6),
        ([0.1, 0.2, 0.7], 0.6, 0.4),
        ([1.0, 0.0, 0.0], -1.0, -1.0),
        ([0.5, 0.0, 0.5], 0.0, 0.0),
    ],
)
def test_sentiment_rules_on_negative_neutral_positive(
    row: list[float], expected: float, even_odds: float
) -> None:
    values = [-1.0, 0.0, 1.0]
    assert sentiment_of(row, values, EXPECTED) == pytest.approx(expected)
    assert sentiment_of(row, values, EVEN_ODDS) == pytest.approx(even_odds)


def test_even_odds_weighs_several_negative_labels_by_their_values() -> None:
    # angry -1 and annoyed -0.5 hold 0.8: their mean value -0.8125, times 2 * 0.8 - 1.
    row = [0.5, 0.3, 0.2]
    assert sentiment_of(row, [-1.0, -0.5, 0.0], EVEN_ODDS) == pytest.approx(-0.4875)


def test_a_hand_built_model_reads_the_expected_value_and_can_read_even_odds() -> None:
    row = [0.4, 0.5, 0.1]
    labels = ["negative", "neutral", "positive"]
    legacy = fixed_model(labels, row, MOODS)
    assert ModelDetector(legacy).analyze("hm").sentiment == pytest.approx(-0.3)
    odds = TrainedModel(
        classifier=legacy.classifier,
        labels=legacy.labels,
        mapping=MOODS,
        meta={},
        sentiment_rule=EVEN_ODDS,
    )
    assert ModelDetector(odds).analyze("hm").sentiment == 0.0


def test_an_unknown_sentiment_rule_is_refused(data: TrainingData) -> None:
    with pytest.raises(ValueError, match="unknown sentiment rule 'median'"):
        sentiment_of([0.5, 0.5], [-1.0, 1.0], "median")
    with pytest.raises(ModelError, match="unknown sentiment rule 'median'"):
        train(data, LabelMapping(), sentiment_rule="median")


def test_new_models_keep_the_ensemble_as_arrays_and_say_so(model: TrainedModel) -> None:
    from escalon.triage.arrays import ArrayClassifier

    assert isinstance(model.classifier, ArrayClassifier)
    assert model.classifier.text_form == "tweets"
    assert "gradient-boosted trees" in model.meta["classifier"]


def _pickled_payload(version: int, classifier: Any, rule: str | None = None) -> dict[str, Any]:
    payload = {
        "format": FORMAT,
        "format_version": version,
        "labels": [str(label) for label in classifier.classes_],
        "intents": {},
        "sentiment": dict(MOODS.sentiment),
        "meta": {"rows": 35},
        "classifier": classifier,
    }
    if rule is not None:
        payload["sentiment_rule"] = rule
    return payload


def test_a_format_1_pickle_converts_and_reads_the_expected_value_as_before(
    tmp_path: Path,
) -> None:
    moods = read_training_csv(FIXTURE, "message", "mood")
    classifier = StackedTextClassifier(c=4.0).fit(moods.texts, moods.labels)
    old, new = tmp_path / "old.model", tmp_path / "new.model"
    joblib.dump(_pickled_payload(1, classifier), old)
    with pytest.raises(ModelError, match="convert"):
        load_model(old)
    convert_pickled_model(old, new)
    loaded = load_model(new)
    assert loaded.sentiment_rule == EXPECTED
    assert loaded.meta["converted_from_format"] == 1
    text = "Great job on the quick delivery!"
    row = loaded.probabilities([text])[0]
    assert row == pytest.approx(list(classifier.predict_proba([text])[0]), abs=1e-12)
    values = [MOODS.sentiment[label] for label in loaded.labels]
    assert ModelDetector(loaded).analyze(text).sentiment == pytest.approx(
        sum(p * v for p, v in zip(row, values, strict=True))
    )


def test_a_format_2_pickle_converts_to_the_same_probabilities(tmp_path: Path) -> None:
    from escalon.triage.ensemble import EnsembleTextClassifier

    moods = read_training_csv(FIXTURE, "message", "mood")
    classifier = EnsembleTextClassifier(c=4.0).fit(moods.texts, moods.labels)
    old, new = tmp_path / "old.model", tmp_path / "new.model"
    joblib.dump(_pickled_payload(2, classifier, EVEN_ODDS), old)
    convert_pickled_model(old, new)
    texts = ["Great job on the quick delivery!", "worst service ever, I want a refund"]
    assert np.allclose(
        load_model(new).probabilities(texts), classifier.predict_proba(texts), atol=1e-12
    )
    assert load_model(new).sentiment_rule == EVEN_ODDS
    with pytest.raises(ModelError, match="already a current model"):
        convert_pickled_model(new, tmp_path / "again.model")


def test_a_model_file_with_an_unknown_or_missing_sentiment_rule_is_damaged(
    model: TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "odd.model"
    save_model(model, path)
    rewrite_header(path, lambda header: header.update(sentiment_rule="median"))
    with pytest.raises(ModelError, match="unknown sentiment rule 'median'"):
        load_model(path)
    rewrite_header(path, lambda header: header.pop("sentiment_rule"))
    with pytest.raises(ModelError, match="damaged model file"):
        load_model(path)
