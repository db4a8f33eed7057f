"""`escalon teams import` against the active policy: unknown levels and teams are named with a
suggestion, every problem in one run, each unknown name once however many agents give it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.config import get_settings
from tests.builders.paths import EXAMPLES

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def database_url(migrated_url: str) -> str:
    """A migrated SQLite file with the example policy active."""
    uploaded = runner.invoke(app, ["policy", "upload", str(EXAMPLES / "policy.yaml"), "--activate"])
    assert uploaded.exit_code == 0, uploaded.output
    return migrated_url


def problems(output: str) -> list[str]:
    """The problem lines a refused import printed."""
    return [line for line in output.splitlines() if ": agents[" in line or ": teams[" in line]


def test_the_example_roster_fits_the_example_policy(database_url: str) -> None:
    result = runner.invoke(app, ["teams", "import", str(EXAMPLES / "roster.yaml")])

    assert result.exit_code == 0, result.output


def test_unknown_levels_and_teams_are_each_reported_once_with_a_suggestion(
    database_url: str, tmp_path: Path
) -> None:
    agents = "".join(
        f"  - {{handle: a{number}, name: A{number}, level: supervsor, teams: [supervisers]}}\n"
        for number in range(40)
    )
    path = tmp_path / "roster.yaml"
    path.write_text(
        "teams:\n  - name: finanse\nagents:\n" + agents + "  - {handle: b, name: B, capacity: x}\n"
    )

    result = runner.invoke(app, ["teams", "import", str(path)])

    assert result.exit_code == 1
    lines = problems(result.output)
    assert len(lines) == 4, result.output
    assert (
        f"{path}:2: teams[0].name: the active policy (acme-support version 1) has no team "
        "'finanse' (did you mean 'finance'?)" in result.output
    )
    level = next(line for line in lines if "agents[0].level" in line)
    assert f"{path}:4: agents[0].level:" in level, lines
    assert "no level 'supervsor' (did you mean 'supervisor'?)" in level
    assert "(also at agents[1].level, agents[2].level, agents[3].level and 36 more)" in level
    team = next(line for line in lines if "'supervisers'" in line)
    assert f"{path}:4: agents[0].teams[0]: no team is named 'supervisers'" in team
    assert "(did you mean 'supervisors'?)" in team
    assert any("agents[40].capacity: expected a whole number" in line for line in lines)
    assert result.output.count("supervsor") == 1
    assert "a0" not in runner.invoke(app, ["agents", "list"]).output


def test_without_an_active_policy_a_missing_team_is_still_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALON_DATABASE_URL", f"sqlite:///{tmp_path / 'bare.db'}")
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["teams", "add", "billing"]).exit_code == 0
    path = tmp_path / "roster.yaml"
    path.write_text(
        "agents:\n"
        + "".join(f"  - {{handle: a{n}, name: A{n}, teams: [biling]}}\n" for n in range(5))
    )

    result = runner.invoke(app, ["agents", "import", str(path)])

    get_settings.cache_clear()
    assert result.exit_code == 1
    lines = problems(result.output)
    assert len(lines) == 1, result.output
    assert "no team is named 'biling', in the roster or in the database" in lines[0]
    assert "(did you mean 'billing'?)" in lines[0]
    assert "(also at agents[1].teams[0]" in lines[0]
