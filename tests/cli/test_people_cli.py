"""`escalon teams` and `escalon agents` against a SQLite file: import a roster, list, show, add
and change, with problems on stderr one a line and never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.config import get_settings
from tests.builders.paths import EXAMPLE_ROSTER

# Wide enough that no table cell is cut.
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file named by ESCALON_DATABASE_URL, as an operator would set it."""
    url = f"sqlite:///{tmp_path / 'escalon.db'}"
    monkeypatch.setenv("ESCALON_DATABASE_URL", url)
    get_settings.cache_clear()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    yield url
    get_settings.cache_clear()


def invoke(*args: str) -> tuple[int, str]:
    """Run `escalon ARGS`; its exit code and everything it printed."""
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_teams_import_creates_the_example_roster(database_url: str) -> None:
    code, output = invoke("teams", "import", str(EXAMPLE_ROSTER))

    assert code == 0, output
    assert "teams: 5 created, 0 updated, 0 unchanged" in output
    assert "agents: 11 created, 0 updated, 0 unchanged" in output


def test_importing_again_reports_everything_unchanged(database_url: str) -> None:
    invoke("agents", "import", str(EXAMPLE_ROSTER))

    code, output = invoke("agents", "import", str(EXAMPLE_ROSTER))

    assert code == 0
    assert "teams: 0 created, 0 updated, 5 unchanged" in output
    assert "agents: 0 created, 0 updated, 11 unchanged" in output


def test_a_dry_run_writes_nothing(database_url: str) -> None:
    code, output = invoke("teams", "import", str(EXAMPLE_ROSTER), "--dry-run")

    assert code == 0
    assert "dry run: nothing was written" in output
    assert "5 created" in output
    assert "frontline" not in invoke("teams", "list")[1]


def test_a_bad_roster_prints_one_line_per_problem_and_exits_1(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(
        "agents:\n"
        "  - handle: kai\n"
        "    name: Kai\n"
        "    capacity: lots\n"
        "  - handle: lou\n"
        "    name: Lou\n"
        "    working_hours: {mon: ['09:00-25:00']}\n",
        encoding="utf-8",
    )

    code, output = invoke("teams", "import", str(path))

    assert code == 1
    assert "Traceback" not in output
    assert f"{path}:4: agents[0].capacity: expected a whole number, got 'lots'" in output
    assert f"{path}:7: agents[1].working_hours.mon[0]: " in output
    assert invoke("agents", "list")[1].count("kai") == 0


def test_a_roster_naming_an_unknown_team_names_its_line(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text("agents:\n  - handle: kai\n    name: Kai\n    teams: [nowhere]\n")

    code, output = invoke("agents", "import", str(path))

    assert code == 1
    assert f"{path}:4: agents[0].teams[0]: no team is named 'nowhere'" in output


def test_a_missing_file_is_one_line_and_exit_1(database_url: str, tmp_path: Path) -> None:
    code, output = invoke("teams", "import", str(tmp_path / "absent.yaml"))

    assert code == 1
    assert "absent.yaml: cannot read the roster" in output
    assert "Traceback" not in output


def test_a_csv_roster_imports_agents_and_their_teams(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text(
        "handle,name,teams,skills,working_hours\n"
        "kai,Kai Nord,night-desk,technical;billing,mon-fri 09:00-17:00\n"
    )

    code, output = invoke("agents", "import", str(path))

    assert code == 0, output
    assert "teams: 1 created" in output
    shown = invoke("agents", "show", "kai")[1]
    assert "technical, billing" in shown
    assert "mon-fri 09:00-17:00" in shown
    assert "night-desk" in shown


def test_teams_list_shows_assignment_and_members(database_url: str) -> None:
    invoke("teams", "import", str(EXAMPLE_ROSTER))

    code, output = invoke("teams", "list")

    assert code == 0
    supervisors = next(line for line in output.splitlines() if line.startswith("supervisors"))
    assert "least_loaded" in supervisors
    assert "sara, sup-mark" in supervisors


def test_teams_show_lists_members_the_person_on_call_and_the_next_shifts(
    database_url: str,
) -> None:
    invoke("teams", "import", str(EXAMPLE_ROSTER))

    code, output = invoke("teams", "show", "specialists", "--shifts", "3")

    assert code == 0, output
    assert "assignment: on_call" in output
    assert "Omar Haddad" in output
    on_call = next(line for line in output.splitlines() if line.startswith("on call now:"))
    assert any(person in on_call for person in ("omar", "dev-anna", "jonas"))
    assert "from (Europe/Berlin)" in output


def test_teams_add_and_set_change_the_assignment(database_url: str) -> None:
    assert invoke("teams", "add", "night-desk", "--assignment", "skills")[0] == 0

    code, output = invoke("teams", "set", "night-desk", "--assignment", "none")

    assert code == 0, output
    assert "assignment: none" in invoke("teams", "show", "night-desk")[1]


def test_adding_a_team_twice_is_an_error(database_url: str) -> None:
    invoke("teams", "add", "night-desk")

    code, output = invoke("teams", "add", "night-desk")

    assert code == 1
    assert "a team named 'night-desk' already exists" in output


def test_wrong_usage_exits_2(database_url: str) -> None:
    invoke("teams", "add", "night-desk")

    assert invoke("teams", "set", "night-desk")[0] == 2
    assert invoke("teams", "set", "night-desk", "--assignment", "random")[0] == 2
    assert invoke("agents", "add", "kai")[0] == 2
    assert invoke("agents", "add", "kai", "--name", "Kai", "--status", "asleep")[0] == 2


def test_agents_add_set_and_show(database_url: str) -> None:
    invoke("teams", "add", "frontline")
    added = invoke(
        "agents",
        "add",
        "kai",
        "--name",
        "Kai Nord",
        "--team",
        "frontline",
        "--skill",
        "billing",
        "--skill",
        "technical",
        "--capacity",
        "7",
        "--timezone",
        "Europe/Berlin",
        "--working-hours",
        "mon-fri 09:00-17:00",
    )
    assert added[0] == 0, added[1]

    code, output = invoke("agents", "set", "kai", "--status", "away", "--authority", "refund=300")

    assert code == 0, output
    shown = invoke("agents", "show", "kai")[1]
    for text in ("Kai Nord", "away", "billing, technical", "refund=300", "mon-fri 09:00-17:00"):
        assert text in shown


def test_agents_add_names_the_options_whose_values_are_wrong(database_url: str) -> None:
    code, output = invoke(
        "agents", "add", "kai", "--name", "Kai", "--email", "nope", "--capacity", "-1"
    )

    assert code == 1
    assert "--email: not an e-mail address" in output
    assert "--capacity: -1 is out of range" in output


def test_agents_add_refuses_one_line_values_it_cannot_read(database_url: str) -> None:
    code, output = invoke(
        "agents", "add", "kai", "--name", "Kai", "--authority", "refund", "--working-hours", "daily"
    )

    assert code == 1
    assert "--authority: 'refund' is not kind=amount" in output
    assert "--working-hours: 'daily' is not a weekday" in output


def test_agents_list_filters_by_team(database_url: str) -> None:
    invoke("teams", "import", str(EXAMPLE_ROSTER))

    code, output = invoke("agents", "list", "--team", "supervisors")

    assert code == 0
    handles = {line.split()[0] for line in output.splitlines()[2:] if line.strip()}
    assert handles == {"sara", "sup-mark"}


def test_unknown_names_are_one_line_errors(database_url: str) -> None:
    for args in (
        ("agents", "show", "nobody"),
        ("teams", "show", "nowhere"),
        ("agents", "list", "--team", "nowhere"),
        ("agents", "set", "nobody", "--status", "away"),
    ):
        code, output = invoke(*args)
        assert code == 1, args
        assert output.count("\n") == 1, output
