"""`escalon training certificate`: a person's finished practice, as text or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from escalon.cli import app
from escalon.database import Database
from tests.builders.progress import DAY_US, finished, listed

runner = CliRunner(env={"COLUMNS": "200"})
# Monday 30 November 2026, 09:00 UTC.
NOW = int(datetime(2026, 11, 30, 9, tzinfo=UTC).timestamp()) * 1_000_000


def _practice(url: str) -> str:
    created = runner.invoke(app, ["users", "create", "ann", "--role", "agent"])
    assert created.exit_code == 0, created.output
    database = Database(url)
    try:
        listed(database, "manager-one", "manager_request")
        listed(database, "refund-one", "refund_above_authority")
        finished(database, "ann", "manager-one", lost={"tone": 20}, at=NOW - 40 * DAY_US)
        finished(database, "ann", "manager-one", lost={}, at=NOW - DAY_US, minutes=15)
        key = finished(
            database,
            "ann",
            "refund-one",
            lost={"authority": 15, "escalation": 25},
            at=NOW,
            mode="role_play",
        )
        finished(database, "ann", "refund-one", lost={}, at=NOW, running=True)
    finally:
        database.dispose()
    return key


def test_the_certificate_as_json_counts_finished_sessions_of_both_modes(
    migrated_url: str,
) -> None:
    key = _practice(migrated_url)
    result = runner.invoke(app, ["training", "certificate", "ann", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["person"] == "ann"
    assert data["sessions"] == 3
    assert data["practised_seconds"] == 35 * 60
    assert data["passed"] == ["manager_request"]
    assert [(one["skill"], one["best"], one["sessions"]) for one in data["skills"]] == [
        ("manager_request", 100, 2),
        ("refund_above_authority", 60, 1),
    ]
    assert data["skills"][1]["session"] == key


def test_the_certificate_as_text_for_a_period(migrated_url: str) -> None:
    _practice(migrated_url)
    result = runner.invoke(
        app, ["training", "certificate", "ann", "--since", "2026-11-01", "--until", "2026-12-01"]
    )
    assert result.exit_code == 0, result.output
    assert "Training certificate: ann" in result.output
    assert "1 Nov 2026 to 30 Nov 2026; 2 sessions finished; 25 min practised; " in result.output
    assert "1 of 2 skills passed (70 or more)" in result.output
    assert "2026-11-29" in result.output


def test_an_unknown_person_or_day_is_refused(migrated_url: str) -> None:
    unknown = runner.invoke(app, ["training", "certificate", "nobody"])
    assert unknown.exit_code == 2
    assert "no person 'nobody'" in unknown.output
    wrong = runner.invoke(app, ["training", "certificate", "nobody", "--since", "30/11/2026"])
    assert wrong.exit_code == 2
    assert "YYYY-MM-DD" in wrong.output
