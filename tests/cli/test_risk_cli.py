"""`escalon risk train`: fits on the configured database and prints the later window's figures
(or says why there is no model)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from escalon import clock as clocks
from escalon.api.app import create_app
from escalon.cli import app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from tests.builders.risk import small_enough, write_history
from tests.builders.workspace import START, Workspace, seed

NOW = START + timedelta(days=20)


def _history(url: str, cases: int) -> None:
    database = Database(url)
    clock = ManualClock(START)
    tokens, policy_id = seed(database, clock)
    settings = Settings(database_url=url, token_cache_seconds=0)
    with TestClient(create_app(settings=settings, database=database, clock=clock)) as client:
        write_history(Workspace(client, database, clock, tokens, policy_id), until=NOW, cases=cases)
    database.dispose()


@pytest.fixture
def at_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's clock reads NOW, just after the history."""
    monkeypatch.setattr(clocks, "SystemClock", lambda: ManualClock(NOW))


def test_train_prints_the_figures_on_the_later_window_as_json(
    migrated_url: str, at_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    _history(migrated_url, 30)
    ran = CliRunner().invoke(app, ["risk", "train", "--json"])
    assert ran.exit_code == 0, ran.output
    answer = json.loads(ran.output)
    judged = answer["evaluation"]
    assert answer["cases"] == 30
    assert answer["escalated"] == 10
    assert judged["split"] == "time"
    assert judged["train_cases"] + judged["test_cases"] == 30
    assert set(judged["baselines"]) == {"base_rate", "priority"}
    assert judged["model"]["auc"] == 1.0  # the tier alone decided, and the model learnt it
    assert "tier:enterprise" in answer["largest_weights"]


def test_train_prints_a_table_for_people(
    migrated_url: str, at_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    _history(migrated_url, 30)
    ran = CliRunner().invoke(app, ["risk", "train"])
    assert ran.exit_code == 0, ran.output
    assert "priority alone" in ran.output
    assert "Reliability" in ran.output


def test_train_with_too_little_history_says_so_and_fails(migrated_url: str, at_now: None) -> None:
    _history(migrated_url, 5)
    ran = CliRunner().invoke(app, ["risk", "train"])
    assert ran.exit_code == 1
    assert "no model" in ran.output
    assert "needs 100 cases" in ran.output


def test_a_test_share_out_of_range_is_refused(migrated_url: str) -> None:
    ran = CliRunner().invoke(app, ["risk", "train", "--test-share", "0.9"])
    assert ran.exit_code == 2
