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


def _at_risk_decisions(out: Path) -> int:
    lines = out.read_text().splitlines()
    return sum(1 for line in lines if json.loads(line)["trigger"] == "sla.at_risk")


def test_the_replay_reads_a_fitted_model_and_refuses_what_is_not_one(tmp_path: Path) -> None:
    events, policy = _history(tmp_path, 2)
    alarmist = tmp_path / "alarmist.json"
    alarmist.write_text(json.dumps(BreachModel(20.0, {}, {}).to_data()))
    plain, read = tmp_path / "plain.jsonl", tmp_path / "read.jsonl"
    base = ["replay", "--policy", str(policy), "--events", str(events), "--out"]
    assert runner.invoke(app, [*base, str(plain)]).exit_code == 0
    result = runner.invoke(app, [*base, str(read), "--breach-model", str(alarmist)])
    assert result.exit_code == 0, result.output
    # Every clock still running once the pace is known is now forecast to breach.
    assert _at_risk_decisions(read) > _at_risk_decisions(plain)
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": 1, "kind": "breach", "intercept": "1"}')
    refused = runner.invoke(app, [*base, str(tmp_path / "x.jsonl"), "--breach-model", str(junk)])
    assert refused.exit_code == 1
    assert "not a breach model: intercept" in refused.output
