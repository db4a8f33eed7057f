"""Trained detectors: label mapping, training, the model file and `load_analyzer`."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.typing import NDArray

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST
from escalon.triage import DefaultDetector, ModelDetector, ModelError, load_analyzer
from escalon.triage.trained import (
    FORMAT,
    LabelMapping,
    TrainedModel,
    TrainingData,
    load_model,
    read_training_csv,
    save_model,
    train,
)

FIXTURE = Path(__file__).parent / "fixtures" / "messages.csv"


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
    mood_model, _ = train(moods, mapping)
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


def test_loading_someone_elses_pickle_or_a_newer_format_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.model"
    joblib.dump({"weights": [1, 2, 3]}, foreign)
    with pytest.raises(ModelError, match="not an Escalon triage model"):
        load_model(foreign)
    newer = tmp_path / "newer.model"
    joblib.dump({"format": FORMAT, "format_version": 99}, newer)
    with pytest.raises(ModelError, match="format version 99"):
        load_model(newer)


def test_model_error_is_a_value_error_so_callers_can_catch_it_plainly() -> None:
    assert issubclass(ModelError, ValueError)
