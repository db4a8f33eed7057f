"""The category classifier: trained, saved and loaded without pickle; `escalon triage train
--label category` from a CSV or JSON-lines file and from the cases people categorised."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from escalon.cases.models import Case
from escalon.cli import app
from escalon.config import get_settings
from escalon.triage.category import (
    CategoryClassifier,
    load_category_model,
    read_labelled,
    save_category_model,
    train_categories,
)
from escalon.triage.trained import ModelError, TrainingData
from tests.builders.workspace import Workspace

runner = CliRunner()
ROWS = [(f"where is the parcel for order {n}", "delivery") for n in range(12)] + [
    (f"invoice {n} charges me twice", "billing") for n in range(12)
]


def data(rows: list[tuple[str, str]] = ROWS) -> TrainingData:
    return TrainingData([text for text, _ in rows], [label for _, label in rows], 0)


def test_a_saved_model_reads_back_with_the_same_answers(tmp_path: Path) -> None:
    model = train_categories(data())
    save_category_model(model, tmp_path / "m.model")
    loaded = load_category_model(tmp_path / "m.model")
    texts = ["my parcel is late", "the invoice is wrong", ""]
    assert np.allclose(loaded.probabilities(texts), model.probabilities(texts))
    assert loaded.labels == ("billing", "delivery")
    assert [guess.category for guess in loaded.predict(texts[:2])] == ["delivery", "billing"]
    assert loaded.meta["label_counts"] == {"billing": 12, "delivery": 12}


def test_three_categories_give_probabilities_that_sum_to_one() -> None:
    rows = [*ROWS, *((f"close my account {n}", "account") for n in range(12))]
    model = train_categories(data(rows))
    row = model.probabilities(["please close my account"])[0]
    assert row.sum() == pytest.approx(1)
    assert model.guess("please close my account").category == "account"


def test_one_category_is_not_enough() -> None:
    with pytest.raises(ModelError, match="at least two categories"):
        train_categories(data([("a", "x"), ("b", "x")]))


def test_a_model_file_holding_a_pickle_is_refused_without_running_it(tmp_path: Path) -> None:
    path = tmp_path / "m.model"
    save_category_model(train_categories(data()), path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    # An object array: reading it needs pickle, which the loader never allows.
    arrays["coef"] = np.array([Exploding()], dtype=object)
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)
    with pytest.raises(ModelError, match=r"m\.model"):
        load_category_model(path)


class Exploding:
    """Unpickling this would fail the test: the loader must never get that far."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (pytest.fail, ("the model's pickle was run",))


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip", pickle.dumps({"format": "escalon-category-model"})],
    ids=["empty", "text", "pickle"],
)
def test_foreign_files_are_refused_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.model"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=r"bad\.model"):
        load_category_model(path)


def test_a_model_whose_arrays_do_not_fit_is_refused(tmp_path: Path) -> None:
    model = train_categories(data())
    model.intercept = model.intercept[:1]
    save_category_model(model, tmp_path / "m.model")
    with pytest.raises(ModelError, match="do not fit together"):
        load_category_model(tmp_path / "m.model")


def test_a_missing_model_is_named() -> None:
    with pytest.raises(ModelError, match="no such model file"):
        load_category_model("/nonexistent/m.model")


def test_the_classifier_answers_only_when_sure_enough(tmp_path: Path) -> None:
    save_category_model(train_categories(data()), tmp_path / "m.model")
    sure = CategoryClassifier(str(tmp_path / "m.model"), min_confidence=0.5)
    guess = sure.categorize("where is my parcel")
    assert guess is not None
    assert guess.category == "delivery"
    assert CategoryClassifier(str(tmp_path / "m.model"), 1.0).categorize("hello") is None


def test_json_lines_skip_rows_without_text_or_category(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    lines = [
        {"text": "parcel late", "category": "delivery"},
        {"text": "", "category": "delivery"},
        {"text": "invoice", "category": None},
        {"text": "invoice", "category": True},
        ["not", "an object"],
        {"text": "invoice again", "category": "billing", "other": 1},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    read = read_labelled(path, "text", "category")
    assert (read.texts, read.labels, read.skipped) == (
        ["parcel late", "invoice again"],
        ["delivery", "billing"],
        4,
    )


def test_bad_json_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"text": "a", "category": "b"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ModelError, match=r"cases\.jsonl:2"):
        read_labelled(path, "text", "category")


# -- the command --------------------------------------------------------------------------------


def train(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["triage", "train", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_train_from_a_csv_file_round_trips(tmp_path: Path) -> None:
    csv = tmp_path / "cases.csv"
    csv.write_text(
        "body,category\n" + "".join(f'"{text}",{label}\n' for text, label in ROWS),
        encoding="utf-8",
    )
    out = tmp_path / "categories.model"
    code, output = train(str(csv), "--label", "category", "--text", "body", "--out", str(out))
    assert code == 0, output
    assert "trained on 24 cases (0 skipped); categories billing: 12, delivery: 12" in output
    assert load_category_model(out).guess("my parcel did not come").category == "delivery"


def test_train_from_json_lines_with_the_default_text_field(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        "".join(json.dumps({"text": text, "category": label}) + "\n" for text, label in ROWS),
        encoding="utf-8",
    )
    out = tmp_path / "categories.model"
    code, output = train(str(path), "--label", "category", "--out", str(out))
    assert code == 0, output
    assert load_category_model(out).labels == ("billing", "delivery")


def test_train_with_one_category_fails_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps({"text": "a", "category": "x"}) + "\n", encoding="utf-8")
    code, output = train(str(path), "--label", "category", "--out", str(tmp_path / "m"))
    assert code == 1
    assert "error: training needs at least two categories" in output


def test_a_detector_still_needs_its_data_and_text_column(tmp_path: Path) -> None:
    code, output = train("--label", "kind", "--out", str(tmp_path / "m"))
    assert code == 2
    assert "--text" in output


@pytest.fixture
def configured(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Workspace]:
    """The seeded API's database, named by ESCALON_DATABASE_URL for the command."""
    seeded = workspace
    monkeypatch.setenv("ESCALON_DATABASE_URL", seeded.database.url)
    get_settings.cache_clear()
    yield seeded
    get_settings.cache_clear()


def test_train_from_the_cases_people_categorised(configured: Workspace, tmp_path: Path) -> None:
    ws = configured
    ids = []
    for n, (text, label) in enumerate([*ROWS, ("an odd one", "guessed")]):
        response = ws.client.post(
            "/api/v1/cases",
            json={
                "customer": {"ref": f"K-{n}"},
                "subject": f"Case {n}",
                "body": text,
                "category": label,
            },
            headers=ws.headers(),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    with ws.database.write() as session:
        # A category Escalon guessed is not learnt from: the model would learn its own guesses.
        session.execute(update(Case).where(Case.id == ids[-1]).values(category_source="keyword"))
    out = tmp_path / "categories.model"
    code, output = train("--label", "category", "--out", str(out))
    assert code == 0, output
    assert "trained on 24 cases" in output
    model = load_category_model(out)
    assert model.labels == ("billing", "delivery")
    assert model.meta["source"] == {"data": "database"}


def test_a_missing_model_file_is_read_once_not_at_every_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalon.triage import category

    reads: list[str] = []
    real = category.load_category_model

    def counted(path: str) -> category.CategoryModel:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(category, "load_category_model", counted)
    reader = category.CategoryClassifier(str(tmp_path / "missing.npz"), 0.5)
    for _ in range(3):
        with pytest.raises(ModelError, match="no such model file"):
            reader.categorize("my invoice is wrong")
    assert len(reads) == 1
