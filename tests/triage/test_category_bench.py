"""The category benchmark: it splits each category alike, skips cleanly without data outside CI,
fails without it under CI, and on the public data reaches its goal."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from bench import category


def test_the_split_holds_out_the_same_share_of_each_category() -> None:
    labels = ["a"] * 10 + ["b"] * 20
    train, test = category.stratified_split(labels, held_out=0.3, seed=1)
    assert Counter(labels[i] for i in test) == {"a": 3, "b": 6}
    assert sorted(train + test) == list(range(30))
    assert category.stratified_split(labels, held_out=0.3, seed=1) == (train, test)


def test_missing_data_is_a_message_outside_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert category.main(["--data", str(tmp_path)]) == 0
    assert "category benchmark skipped" in capsys.readouterr().out


def test_missing_data_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(SystemExit, match="the data must be there"):
        category.main(["--data", str(tmp_path)])


@pytest.mark.data
def test_on_a_sample_of_the_public_data_the_classifier_reaches_its_goal() -> None:
    path = category.DATA / category.FILE
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"public data not found at {path} (CI=true: it must be there)")
        pytest.skip(f"public data not found at {path} (it lives beside the repository)")
    figures = category.evaluate(path, tiny=True)
    assert figures.categories == 11
    assert figures.accuracy >= category.GOAL
    assert figures.macro_f1 >= 0.9
