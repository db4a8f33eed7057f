"""`escalon audit list`: what operators changed from the command line, and through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.config import get_settings

runner = CliRunner()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file named by ESCALON_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'escalon.db'}"
    monkeypatch.setenv("ESCALON_DATABASE_URL", url)
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield url
    get_settings.cache_clear()


def test_command_line_changes_are_listed_newest_first(database_url: str) -> None:
    assert runner.invoke(app, ["users", "create", "ann", "--role", "admin"]).exit_code == 0
    assert runner.invoke(app, ["tokens", "create", "ann"]).exit_code == 0
    assert runner.invoke(app, ["teams", "add", "billing"]).exit_code == 0
    listed = runner.invoke(app, ["audit", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    entries = [json.loads(line) for line in listed.output.splitlines()]
    assert [(e["action"], e["target"], e["via"]) for e in entries] == [
        ("team.created", "team:billing", "cli"),
        ("token.created", "token:1", "cli"),
        ("user.created", "user:ann", "cli"),
    ]
    assert all(e["actor"].startswith("operator") for e in entries)
    only_users = runner.invoke(app, ["audit", "list", "--subject", "user", "--json"])
    assert [json.loads(line)["action"] for line in only_users.output.splitlines()] == [
        "user.created"
    ]


def test_an_unknown_subject_is_refused_with_the_known_ones(database_url: str) -> None:
    refused = runner.invoke(app, ["audit", "list", "--subject", "weather"])
    assert refused.exit_code == 1
    assert "unknown subject 'weather'" in refused.output
    assert "user" in refused.output
