"""`escalon triage`: JSON lines through the detector, and `escalon triage train`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.triage.io import parse_line, stream
from tests.builders.paths import TRIAGE_MESSAGES

FIXTURE = TRIAGE_MESSAGES
runner = CliRunner()


def lines_of(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_each_input_line_gets_one_answer_in_order_and_bad_lines_get_errors() -> None:
    given = "\n".join(
        [
            json.dumps({"text": "get me your supervisor"}),
            "not json",
            json.dumps({"text": 42}),
            json.dumps(["text"]),
            json.dumps({"body": "hello"}),
            "",
            json.dumps({"text": "I was charged twice and nobody answers", "id": 7}),
            json.dumps({"text": "Thanks, all sorted!"}),
        ]
    )
    result = runner.invoke(app, ["triage"], input=given + "\n")
    assert result.exit_code == 0, result.output
    out = lines_of(result.stdout)
    assert len(out) == 8
    assert out[0] == {"intents": ["manager_request"], "sentiment": 0.0, "language": "en"}
    assert "invalid JSON" in str(out[1]["error"])
    assert out[2] == {"error": '"text" must be a string, got int'}
    assert out[3] == {"error": "expected a JSON object, got list"}
    assert out[4] == {"error": 'missing "text"'}
    assert out[5] == {"error": "empty line"}
    assert out[6]["intents"] == ["complaint"]
    assert isinstance(out[6]["sentiment"], float)
    assert out[6]["sentiment"] < 0
    assert out[7]["intents"] == []
    assert isinstance(out[7]["sentiment"], float)
    assert out[7]["sentiment"] > 0
    assert "label" not in out[7]


def test_intents_are_sorted_and_sentiment_has_four_decimals() -> None:
    given = json.dumps({"text": "Worst service ever, you lost my bag, get me a manager now"})
    result = runner.invoke(app, ["triage", "--batch-size", "1"], input=given)
    answer = lines_of(result.stdout)[0]
    assert answer["intents"] == ["complaint", "manager_request"]
    sentiment = answer["sentiment"]
    assert isinstance(sentiment, float)
    assert sentiment == round(sentiment, 4)
    assert -1.0 <= sentiment < 0


def test_stream_reads_lazily_and_answers_each_batch_before_reading_on() -> None:
    consumed: list[int] = []

    def source() -> object:
        for i in range(5):
            consumed.append(i)
            yield json.dumps({"text": f"message {i}"}) + "\n"

    answers = stream(source(), _Echo(), batch_size=2)  # type: ignore[arg-type]
    assert next(answers) is not None
    # Only the first batch has been read when its first answer comes out.
    assert consumed == [0, 1]
    assert len(list(answers)) == 4


class _Echo:
    def analyze(self, text: str) -> object:
        from escalon.core.signals import TextSignals

        return TextSignals(sentiment=0.123456)


def test_parse_line_accepts_extra_fields_and_refuses_null_text() -> None:
    assert parse_line('{"text": "hi", "id": 3}') == "hi"
    assert parse_line('{"text": null}') == {"error": '"text" must be a string, got NoneType'}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-model")
    (folder / "mapping.yaml").write_text("intents:\n  escalate: manager_request\n")
    out = folder / "kind.model"
    result = runner.invoke(
        app,
        [
            "triage", "train", str(FIXTURE), "--text", "message", "--label", "kind",
            "--mapping", str(folder / "mapping.yaml"), "--intent", "complaint=complaint",
            "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "trained on 35 rows (2 skipped)" in result.stdout
    assert "label escalate -> intent manager_request" in result.stdout
    assert "label complaint -> intent complaint" in result.stdout
    return out


def test_a_trained_model_adds_label_and_score_to_each_answer(model_path: Path) -> None:
    given = "\n".join(
        [
            json.dumps({"text": "Please put me through to your supervisor, now."}),
            "{broken",
            json.dumps({"text": "What time does the shop open on Saturdays?"}),
        ]
    )
    result = runner.invoke(app, ["triage", "--model", str(model_path)], input=given)
    assert result.exit_code == 0, result.output
    first, error, last = lines_of(result.stdout)
    assert first["label"] == "escalate"
    assert first["intents"] == ["manager_request"]
    assert isinstance(first["score"], float)
    assert 0 < first["score"] <= 1
    assert "error" in error
    assert last["label"] == "question"
    assert last["intents"] == []


def test_training_with_a_label_missing_from_the_data_fails_clearly(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "triage", "train", str(FIXTURE), "--text", "message", "--label", "kind",
            "--intent", "escalation=manager_request", "--out", str(tmp_path / "m.model"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "not in the data: ['escalation']" in result.stderr
    assert not (tmp_path / "m.model").exists()


def test_training_with_sentiment_values_warns_of_unvalued_labels(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "triage", "train", str(FIXTURE), "--text", "message", "--label", "mood",
            "--sentiment", "negative=-1", "--sentiment", "positive=1",
            "--out", str(tmp_path / "mood.model"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "count as 0: ['neutral']" in result.stderr
    assert "label negative -> sentiment -1" in result.stdout


def test_a_corrupt_model_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.model"
    corrupt.write_bytes(b"\x80\x04this is not a model")
    result = runner.invoke(app, ["triage", "--model", str(corrupt)], input='{"text": "hi"}\n')
    assert result.exit_code == 1
    assert "not a readable Escalon triage model" in result.stderr
    assert result.stdout == ""


def test_training_chooses_the_sentiment_rule(tmp_path: Path) -> None:
    from escalon.triage.trained import load_model

    for rule in ("expected", "odds"):
        result = runner.invoke(
            app,
            [
                "triage", "train", str(FIXTURE), "--text", "message", "--label", "mood",
                "--sentiment", "negative=-1", "--sentiment", "positive=1",
                "--sentiment-rule", rule, "--out", str(tmp_path / f"{rule}.model"),
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert load_model(tmp_path / f"{rule}.model").sentiment_rule == rule
    result = runner.invoke(
        app,
        [
            "triage", "train", str(FIXTURE), "--text", "message", "--label", "mood",
            "--sentiment-rule", "median", "--out", str(tmp_path / "bad.model"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "unknown sentiment rule 'median'" in result.stderr


def test_converting_an_old_pickled_model_needs_the_owner_to_say_they_trained_it(
    tmp_path: Path,
) -> None:
    import joblib

    from escalon.triage.ensemble import EnsembleTextClassifier
    from escalon.triage.trained import FORMAT, read_training_csv

    moods = read_training_csv(FIXTURE, "message", "mood")
    classifier = EnsembleTextClassifier().fit(moods.texts, moods.labels)
    old, new = tmp_path / "old.model", tmp_path / "new.model"
    joblib.dump(
        {
            "format": FORMAT,
            "format_version": 2,
            "labels": [str(label) for label in classifier.classes_],
            "intents": {},
            "sentiment": {"negative": -1.0, "positive": 1.0},
            "meta": {"rows": len(moods.texts)},
            "sentiment_rule": "odds",
            "classifier": classifier,
        },
        old,
    )
    refused = runner.invoke(app, ["triage", "convert", str(old), str(new)])
    assert refused.exit_code == 2
    assert "--i-trained-it" in refused.stderr
    assert not new.exists()
    done = runner.invoke(app, ["triage", "convert", str(old), str(new), "--i-trained-it"])
    assert done.exit_code == 0, done.output
    assert "format 2 model" in done.stdout
    answer = runner.invoke(
        app, ["triage", "--model", str(new)], input='{"text": "worst service, nobody answers"}\n'
    )
    assert answer.exit_code == 0, answer.output
    assert lines_of(answer.stdout)[0]["label"] in {"negative", "neutral", "positive"}
