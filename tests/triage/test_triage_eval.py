"""The evaluation command: it skips cleanly without data, and on the data it beats the baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import triage_eval


def test_evaluation_skips_with_a_message_when_the_data_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert triage_eval.main(["--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "triage evaluation skipped" in out
    assert "intents/bitext-utterances-dev.csv" in out


def test_scores_count_f1_of_the_positive_class_and_accuracy() -> None:
    truth = [True, True, False, False]
    predicted = [True, False, True, False]
    assert triage_eval.score("F1", truth, predicted) == pytest.approx(0.5)
    assert triage_eval.score("accuracy", truth, predicted) == pytest.approx(0.5)
    assert triage_eval.score("F1", truth, [False] * 4) == 0.0


@pytest.mark.data
def test_on_a_sample_of_the_public_data_both_detectors_beat_the_baselines() -> None:
    data = triage_eval.DEFAULT_DATA
    if not (data / "intents").is_dir():
        pytest.skip(f"public data not found at {data} (it lives beside the repository)")
    results = {r.task.name: r.figures for r in triage_eval.evaluate(data, quick=True)}
    manager = results["manager_request"]
    assert manager["default (whole half)"] >= 0.95 > manager["baseline keywords"]
    assert manager["trained (30% part)"] >= 0.95
    complaint = results["complaint"]
    assert complaint["default (whole half)"] >= 0.72 > complaint["baseline VADER"]
    # The trained floors sit just under the sample's figures (0.775 and 0.873, 0.860 by label),
    # so a training change that loses a few texts of 150 fails here.
    assert complaint["trained (30% part)"] >= 0.75
    sentiment = results["sentiment"]
    assert sentiment["default (whole half)"] >= 0.78 > sentiment["baseline VADER"]
    assert sentiment["trained (30% part)"] >= 0.85
    assert sentiment["trained, label (30% part)"] >= 0.84


@pytest.mark.data
def test_the_default_detector_holds_its_figures_on_both_halves_of_every_set() -> None:
    # Half A is the one the grammar was developed on; half B shows whether that generalised.
    data = triage_eval.DEFAULT_DATA
    if not (data / "intents").is_dir():
        pytest.skip(f"public data not found at {data} (it lives beside the repository)")
    floors = {"manager_request": 0.98, "complaint": 0.72, "sentiment": 0.79}
    for name, (part_a, part_b) in triage_eval.halves(data).items():
        assert min(part_a, part_b) >= floors[name], name


def test_cross_validation_scores_every_training_row_once_out_of_fold() -> None:
    task = next(t for t in triage_eval.TASKS if t.name == "complaint")
    texts = [f"order {i} arrived broken and nobody answers" for i in range(12)]
    texts += [f"thank you, order {i} came early" for i in range(12)]
    texts += [f"what time does shop {i} open" for i in range(12)]
    labels = ["1"] * 12 + ["0"] * 24
    figures = triage_eval.cross_validate(task, texts, labels, seed=0)
    assert figures == {"": pytest.approx(1.0)}
    sentiment = next(t for t in triage_eval.TASKS if t.name == "sentiment")
    moods = ["negative"] * 12 + ["positive"] * 12 + ["neutral"] * 12
    figures = triage_eval.cross_validate(sentiment, texts, moods, seed=0)
    assert set(figures) == {"", "label"}
    assert figures["label"] == pytest.approx(1.0)
