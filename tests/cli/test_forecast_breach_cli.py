"""`escalon forecast breach`: fit on a history's earlier part, judge on its later part."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from escalon.api.app import create_app
from escalon.cli import app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.core.forecast.breach import BreachModel
from escalon.core.state import to_us
from escalon.database import Database
from escalon.forecast import breach as breach_forecast
from escalon.forecast.simulation import as_lines, policy_text, simulate
from tests.builders.breach import three_weeks
from tests.builders.workspace import Workspace, seed

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


def test_the_database_history_fits_and_stores_a_model(migrated_url: str) -> None:
    database = Database(migrated_url)
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday() + 28)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    clock = ManualClock(to_us(monday))
    tokens, policy_id = seed(database, clock)
    settings = Settings(database_url=migrated_url, token_cache_seconds=0)
    with TestClient(create_app(settings=settings, database=database, clock=clock)) as client:
        three_weeks(Workspace(client, database, clock, tokens, policy_id), monday)
    result = runner.invoke(app, ["forecast", "breach", "--days", "35", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    with database.read() as session:
        stored = breach_forecast.latest_model(session)
    database.dispose()
    assert stored is not None
    assert report["stored_model"] == 1
    assert stored.trained["evaluation"]["methods"] == report["methods"]


def test_an_empty_database_has_nothing_to_learn_from(migrated_url: str) -> None:
    result = runner.invoke(app, ["forecast", "breach"])
    assert result.exit_code == 1
    assert "no policy is active" in result.output
