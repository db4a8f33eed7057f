"""`escalon forecast staffing`: one interval's agents, as a table or as JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from escalon.cli import app

runner = CliRunner()
EXAMPLE = ["--arrivals", "100", "--interval", "30m", "--handle", "3m", "--target", "20s"]


def test_json_gives_agents_and_the_service_level_they_achieve() -> None:
    result = runner.invoke(app, ["forecast", "staffing", *EXAMPLE, "--goal", "0.8", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["agents"] == 14
    assert answer["service_level"] == 0.8884
    assert answer["load_erlangs"] == 10.0


def test_shrinkage_rosters_more_than_are_on_duty() -> None:
    result = runner.invoke(
        app,
        ["forecast", "staffing", *EXAMPLE, "--goal", "80%", "--shrinkage", "30%", "--json"],
    )
    answer = json.loads(result.output)
    assert (answer["agents"], answer["on_duty"]) == (20, 14)


def test_table_for_a_person() -> None:
    result = runner.invoke(app, ["forecast", "staffing", *EXAMPLE, "--goal", "80%"])
    assert result.exit_code == 0
    assert "Agents to roster" in result.output
    assert "88.8%" in result.output


def test_bad_input_names_the_option() -> None:
    result = runner.invoke(
        app,
        ["forecast", "staffing", *EXAMPLE[:4], "--handle", "3", *EXAMPLE[6:], "--goal", "0.8"],
    )
    assert result.exit_code == 1
    assert "--handle" in result.output
    result = runner.invoke(app, ["forecast", "staffing", *EXAMPLE, "--goal", "120%"])
    assert result.exit_code == 1
    assert "--goal" in result.output
