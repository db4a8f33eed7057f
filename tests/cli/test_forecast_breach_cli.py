"""`escalon forecast breach`: fit on a history's earlier part, judge on its later part."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from escalon.core.forecast.breach import BreachModel
from escalon.forecast.simulation import as_lines, policy_text, simulate

runner = CliRunner()


def _history(folder: Path, weeks: int) -> tuple[Path, Path]:
    events, policy = folder / "events.jsonl", folder / "policy.yaml"
    events.write_text("\n".join(as_lines(simulate(weeks=weeks))) + "\n", encoding="utf-8")
    policy.write_text(policy_text(), encoding="utf-8")
    return events, policy


def test_a_file_history_gives_figures_and_a_model(tmp_path: Path) -> None:
    events, policy = _history(tmp_path, 4)
    out = tmp_path / "model.json"
    result = runner.invoke(
        app,
        [
            *("forecast", "breach", "--events", str(events), "--policy", str(policy)),
            *("--out", str(out), "--json"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["methods"]) == {"model", "queue_alone", "priority_alone", "fixed_warning_75"}
    assert report["stored_model"] is None
    model = BreachModel.from_data(json.loads(out.read_text()))
    assert model.weights["queue_logit"] != 0


def test_the_table_for_a_person(tmp_path: Path) -> None:
    events, policy = _history(tmp_path, 4)
    result = runner.invoke(
        app, ["forecast", "breach", "--events", str(events), "--policy", str(policy)]
    )
    assert result.exit_code == 0, result.output
    assert "priority alone" in result.output
    assert "Reliability of the model" in result.output


def test_too_short_a_history_and_a_missing_policy_are_plain_errors(tmp_path: Path) -> None:
    events, policy = _history(tmp_path, 1)
    short = runner.invoke(
        app, ["forecast", "breach", "--events", str(events), "--policy", str(policy)]
    )
    assert short.exit_code == 1
    assert "labelled looks" in short.output
    missing = runner.invoke(app, ["forecast", "breach", "--events", str(events)])
    assert missing.exit_code == 1
    assert "--policy" in missing.output
