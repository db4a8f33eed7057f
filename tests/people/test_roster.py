"""Roster files imported into the service, on SQLite and PostgreSQL: teams, agents and rotations
created or updated all or nothing, with every problem named by file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from escalon.errors import Invalid
from escalon.people.models import Agent, Team
from escalon.people.roster import ImportReport, RosterError, import_roster, load_roster
from tests.builders.paths import EXAMPLE_ROSTER
from tests.builders.workspace import Workspace

ROSTER = """\
teams:
  - name: night-desk
    description: Answers at night
    assignment: on_call
    rotation:
      layers:
        - name: nights
          members: [kai, lou]
          shift: 1d
          handoff: 2026-11-30T20:00
          timezone: Europe/Berlin
  - name: frontline
    assignment: round_robin
agents:
  - handle: kai
    name: Kai Nord
    teams: [night-desk]
    skills: [technical, billing]
    languages: [de, en]
    capacity: 5
    timezone: Europe/Berlin
    working_hours: {mon: ["20:00-08:00"], tue: ["20:00-08:00"]}
  - handle: lou
    name: Lou Sand
    email: lou@example.org
    teams: [night-desk, frontline]
    authority: {refund: 300, credit: unlimited}
"""


def write(tmp_path: Path, text: str, name: str = "roster.yaml") -> Path:
    """A roster file in the test's directory."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(ws: Workspace, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Load a roster file and import it in one transaction, as the CLI does."""
    roster = load_roster(path)
    with ws.database.write() as session:
        return import_roster(session, roster, now=ws.clock.now_us(), dry_run=dry_run)


def outcomes(report: ImportReport) -> dict[str, str]:
    """Each team's and agent's outcome, by name."""
    return {item.name: item.outcome for item in [*report.teams, *report.agents]}


def counts(ws: Workspace) -> tuple[int, int]:
    """How many teams and agents the database holds."""
    with ws.database.read() as session:
        teams = session.scalar(select(func.count()).select_from(Team))
        agents = session.scalar(select(func.count()).select_from(Agent))
    return teams or 0, agents or 0


def get(ws: Workspace, path: str) -> Any:
    """GET as an admin, expecting 200."""
    response = ws.client.get(f"/api/v1{path}", headers=ws.headers())
    assert response.status_code == 200, response.text
    return response.json()


def test_a_yaml_roster_creates_teams_agents_and_the_rotation(
    workspace: Workspace, tmp_path: Path
) -> None:
    report = run(workspace, write(tmp_path, ROSTER))

    assert outcomes(report) == {
        "night-desk": "created",
        "frontline": "updated",
        "kai": "created",
        "lou": "created",
    }
    assert report.teams[1].changed == ["assignment"]
    team = get(workspace, "/teams/night-desk")
    assert team["members"] == ["kai", "lou"]
    assert team["assignment"] == "on_call"
    assert team["rotation"]["layers"][0]["members"] == ["kai", "lou"]
    kai = get(workspace, "/agents/kai")
    assert kai["working_hours"] == {"mon": ["20:00-08:00"], "tue": ["20:00-08:00"]}
    assert kai["capacity"] == 5
    lou = get(workspace, "/agents/lou")
    assert lou["teams"] == ["frontline", "night-desk"]
    assert lou["authority"] == {"refund": 300, "credit": "unlimited"}
    on_call = get(workspace, "/teams/night-desk/on-call?at=2026-12-01T22:00:00%2B01:00")
    assert on_call["person"] == "lou"


def test_the_example_roster_imports_with_its_specialists_rotation(
    workspace: Workspace,
) -> None:
    report = run(workspace, EXAMPLE_ROSTER)

    assert len(report.teams) == 5
    assert len(report.agents) == 11
    assert get(workspace, "/teams/supervisors")["assignment"] == "least_loaded"
    assert get(workspace, "/teams/frontline")["assignment"] == "round_robin"
    # Tuesday 1 December: the week layer by day, the night layer above it at night.
    day = get(workspace, "/teams/specialists/on-call?at=2026-12-01T10:00:00%2B01:00")
    night = get(workspace, "/teams/specialists/on-call?at=2026-12-01T23:00:00%2B01:00")
    assert (day["person"], day["source"]) == ("omar", "week")
    assert (night["person"], night["source"]) == ("dev-anna", "night")


def test_importing_the_same_roster_again_changes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path, ROSTER)
    run(workspace, path)

    again = run(workspace, path)

    assert set(outcomes(again).values()) == {"unchanged"}
    assert all(item.changed == [] for item in [*again.teams, *again.agents])


def test_a_changed_field_updates_only_that_field(workspace: Workspace, tmp_path: Path) -> None:
    run(workspace, write(tmp_path, ROSTER))

    report = run(workspace, write(tmp_path, ROSTER.replace("capacity: 5", "capacity: 9")))

    assert outcomes(report)["kai"] == "updated"
    assert report.agents[0].changed == ["capacity"]
    assert outcomes(report)["lou"] == "unchanged"
    assert get(workspace, "/agents/kai")["capacity"] == 9


def test_an_agent_listing_teams_gets_exactly_those_memberships(
    workspace: Workspace, tmp_path: Path
) -> None:
    run(workspace, write(tmp_path, ROSTER))

    report = run(
        workspace, write(tmp_path, ROSTER.replace("[night-desk, frontline]", "[frontline]"))
    )

    assert report.agents[1].changed == ["teams"]
    assert get(workspace, "/agents/lou")["teams"] == ["frontline"]
    assert get(workspace, "/teams/night-desk")["members"] == ["kai"]


def test_fields_the_file_leaves_out_keep_their_stored_values(
    workspace: Workspace, tmp_path: Path
) -> None:
    roster = "agents:\n  - handle: ana\n    name: Ana Costa\n"

    report = run(workspace, write(tmp_path, roster))

    assert report.agents[0].changed == ["name"]
    ana = get(workspace, "/agents/ana")
    assert ana["name"] == "Ana Costa"
    assert ana["teams"] == ["frontline"]
    assert ana["email"] == "ana@example.org"


def test_a_rotation_may_name_agents_already_in_the_database(
    workspace: Workspace, tmp_path: Path
) -> None:
    roster = ROSTER.replace("members: [kai, lou]", "members: [kai, mia]")

    run(workspace, write(tmp_path, roster))

    assert get(workspace, "/teams/night-desk")["rotation"]["layers"][0]["members"] == [
        "kai",
        "mia",
    ]


def test_a_null_rotation_removes_the_stored_one(workspace: Workspace, tmp_path: Path) -> None:
    run(workspace, write(tmp_path, ROSTER))

    report = run(workspace, write(tmp_path, "teams:\n  - name: night-desk\n    rotation: null\n"))

    assert report.teams[0].changed == ["rotation"]
    assert get(workspace, "/teams/night-desk")["rotation"] is None


def test_a_file_with_errors_names_each_by_line_and_field(tmp_path: Path) -> None:
    broken = (
        ROSTER.replace("shift: 1d", "shift: 1x")
        .replace("capacity: 5", "capacity: -1")
        .replace("handle: lou", "handle: kai")
    )
    path = write(tmp_path, broken)

    with pytest.raises(RosterError) as raised:
        load_roster(path)

    found = {(d.line, d.field, d.source) for d in raised.value.details}
    assert found == {
        (9, "teams[0].rotation.layers[0].shift", str(path)),
        (20, "agents[0].capacity", str(path)),
        (23, "agents[1].handle", str(path)),
    }
    problems = [d.problem for d in raised.value.details]
    assert "'kai' is given twice (first at agents[0], line 15)" in problems


def test_a_roster_naming_unknown_people_and_teams_writes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    broken = ROSTER.replace("members: [kai, lou]", "members: [kai, ghost]").replace(
        "teams: [night-desk, frontline]", "teams: [night-desk, nowhere]"
    )
    path = write(tmp_path, broken)
    before = counts(workspace)

    with pytest.raises(Invalid) as raised:
        run(workspace, path)

    found = {(d.line, d.field) for d in raised.value.details}
    assert found == {
        (8, "teams[0].rotation.layers[0].members[1]"),
        (26, "agents[1].teams[1]"),
    }
    assert counts(workspace) == before
    assert get(workspace, "/teams/frontline")["assignment"] is None


def test_a_csv_roster_creates_agents_and_the_teams_it_names(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "handle,name,email,teams,skills,capacity,working_hours,authority\n"
        "kai,Kai Nord,kai@example.org,night-desk;frontline,technical;billing,5,"
        '"mon 09:00-12:00,13:00-17:00;tue-fri 09:00-17:00",refund=800;credit=unlimited\n'
        "ana,Ana Costa,,,,,always,\n",
        "roster.csv",
    )

    report = run(workspace, path)

    assert outcomes(report) == {
        "night-desk": "created",
        "frontline": "unchanged",
        "kai": "created",
        "ana": "updated",
    }
    kai = get(workspace, "/agents/kai")
    assert kai["teams"] == ["frontline", "night-desk"]
    assert kai["skills"] == ["technical", "billing"]
    assert kai["working_hours"]["mon"] == ["09:00-12:00", "13:00-17:00"]
    assert kai["working_hours"]["fri"] == ["09:00-17:00"]
    assert kai["authority"] == {"refund": 800, "credit": "unlimited"}
    ana = get(workspace, "/agents/ana")
    assert (ana["name"], ana["working_hours"], ana["email"]) == (
        "Ana Costa",
        "always",
        "ana@example.org",
    )


def test_a_csv_with_an_unknown_column_or_a_bad_cell_names_row_and_column(
    tmp_path: Path,
) -> None:
    unknown = write(tmp_path, "handle,name,shoe_size\nkai,Kai,44\n", "unknown.csv")
    bad_cell = write(tmp_path, "handle,name,capacity\nkai,Kai,5\nlou,Lou,many\n", "bad.csv")

    with pytest.raises(RosterError) as first:
        load_roster(unknown)
    with pytest.raises(RosterError) as second:
        load_roster(bad_cell)

    assert [(d.line, d.field) for d in first.value.details] == [(1, "shoe_size")]
    assert [(d.line, d.field) for d in second.value.details] == [(3, "agents[1].capacity")]


def test_a_dry_run_reports_and_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    before = counts(workspace)

    report = run(workspace, write(tmp_path, ROSTER), dry_run=True)

    assert report.dry_run is True
    assert outcomes(report)["kai"] == "created"
    assert counts(workspace) == before
    assert get(workspace, "/teams/frontline")["assignment"] is None


def roster_body() -> dict[str, Any]:
    """The YAML roster above as the JSON the API takes."""
    return {
        "teams": [{"name": "night-desk", "assignment": "skills"}],
        "agents": [
            {"handle": "kai", "name": "Kai Nord", "teams": ["night-desk"], "capacity": 5},
            {"handle": "ana", "name": "Ana", "level": "frontline", "teams": ["frontline"]},
        ],
    }


def test_the_roster_endpoint_imports_and_reports(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/roster", json=roster_body(), headers=workspace.headers()
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "dry_run": False,
        "teams": [{"name": "night-desk", "outcome": "created", "changed": []}],
        "agents": [
            {"name": "kai", "outcome": "created", "changed": []},
            {"name": "ana", "outcome": "unchanged", "changed": []},
        ],
    }
    assert get(workspace, "/teams/night-desk")["members"] == ["kai"]


def test_the_roster_endpoint_dry_run_writes_nothing(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/roster?dry_run=true", json=roster_body(), headers=workspace.headers()
    )

    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    missing = workspace.client.get("/api/v1/teams/night-desk", headers=workspace.headers())
    assert missing.status_code == 404


def test_the_roster_endpoint_answers_422_with_a_detail_per_problem(
    workspace: Workspace,
) -> None:
    body = roster_body()
    body["agents"][0]["teams"] = ["nowhere"]
    body["agents"].append({"handle": "kai", "name": "Kai again"})

    response = workspace.client.post("/api/v1/roster", json=body, headers=workspace.headers())

    assert response.status_code == 422, response.text
    fields = [detail["field"] for detail in response.json()["details"]]
    assert sorted(fields) == ["agents[0].teams[0]", "agents[2].handle"]
    assert (
        workspace.client.get("/api/v1/agents/kai", headers=workspace.headers()).status_code == 404
    )


@pytest.mark.parametrize("role", ["supervisor", "agent", "integration"])
def test_only_admins_import_a_roster(workspace: Workspace, role: str) -> None:
    response = workspace.client.post(
        "/api/v1/roster", json=roster_body(), headers=workspace.headers(role)
    )

    assert response.status_code == 403
