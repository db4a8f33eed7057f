"""Agents' profiles and teams' on-call rotations through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.builders.workspace import Workspace

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def put_rotation(ws: Workspace, team: str, body: dict[str, Any]) -> Any:
    """PUT a rotation as an admin."""
    return ws.client.put(f"/api/v1/teams/{team}/rotation", json=body, headers=ws.headers())


def supervisors_rotation() -> dict[str, Any]:
    """Sara in office hours on top, Omar and Mia taking weeks underneath."""
    return {
        "layers": [
            {
                "name": "week",
                "members": ["omar", "mia"],
                "shift": "1w",
                "handoff": "2026-11-30T09:00",
                "timezone": "Europe/Berlin",
            },
            {
                "name": "office",
                "members": ["sara"],
                "shift": "1d",
                "handoff": "2026-11-30T09:00",
                "timezone": "Europe/Berlin",
                "restrict": {day: ["09:00-17:00"] for day in WEEKDAYS},
            },
        ],
        "overrides": [
            {"person": "ana", "start": "2026-12-24T00:00+01:00", "end": "2026-12-27T00:00+01:00"}
        ],
    }


def test_who_is_on_call_follows_layers_restrictions_and_overrides(workspace: Workspace) -> None:
    assert put_rotation(workspace, "supervisors", supervisors_rotation()).status_code == 200

    def who(at: str) -> tuple[str | None, str | None]:
        answer = workspace.client.get(
            "/api/v1/teams/supervisors/on-call",
            params={"at": at},
            headers=workspace.headers("agent"),
        ).json()
        return answer["person"], answer["source"]

    assert who("2026-12-01T10:00:00+01:00") == ("sara", "office")
    assert who("2026-12-01T03:00:00+01:00") == ("omar", "week")
    assert who("2026-12-08T03:00:00+01:00") == ("mia", "week")
    assert who("2026-12-25T12:00:00+01:00") == ("ana", "override")


def test_the_next_shifts_list_the_final_schedule(workspace: Workspace) -> None:
    put_rotation(workspace, "supervisors", supervisors_rotation())
    shifts = workspace.client.get(
        "/api/v1/teams/supervisors/shifts",
        params={"start": "2026-12-01T08:00:00+01:00", "count": 3},
        headers=workspace.headers(),
    ).json()
    assert [(s["person"], s["source"], s["start"], s["end"]) for s in shifts] == [
        ("omar", "week", "2026-12-01T07:00:00Z", "2026-12-01T08:00:00Z"),
        ("sara", "office", "2026-12-01T08:00:00Z", "2026-12-01T16:00:00Z"),
        ("omar", "week", "2026-12-01T16:00:00Z", "2026-12-02T08:00:00Z"),
    ]


def test_a_team_without_a_rotation_has_nobody_on_call(workspace: Workspace) -> None:
    answer = workspace.client.get("/api/v1/teams/finance/on-call", headers=workspace.headers())
    assert answer.status_code == 200
    assert answer.json()["person"] is None
    put_rotation(workspace, "finance", supervisors_rotation())
    cleared = workspace.client.delete("/api/v1/teams/finance/rotation", headers=workspace.headers())
    assert cleared.json()["rotation"] is None


def test_a_broken_rotation_is_refused_whole_with_every_problem_named(workspace: Workspace) -> None:
    broken = supervisors_rotation()
    broken["layers"][0]["shift"] = "3x"
    broken["layers"][1]["timezone"] = "Mars/Olympus"
    broken["overrides"][0]["end"] = "2026-12-23T00:00+01:00"
    response = put_rotation(workspace, "supervisors", broken)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == [
        "body.layers[0].shift",
        "body.layers[1].timezone",
        "body.overrides[0].end",
    ]
    team = workspace.client.get("/api/v1/teams/supervisors", headers=workspace.headers()).json()
    assert team["rotation"] is None


def test_a_rotation_may_only_name_agents(workspace: Workspace) -> None:
    body = supervisors_rotation()
    body["layers"][0]["members"] = ["omar", "zed"]
    response = put_rotation(workspace, "supervisors", body)
    assert response.status_code == 422
    assert response.json()["message"] == "not agents: zed (add them first)"


def test_only_admins_set_rotations(workspace: Workspace) -> None:
    response = workspace.client.put(
        "/api/v1/teams/supervisors/rotation",
        json=supervisors_rotation(),
        headers=workspace.headers("supervisor"),
    )
    assert response.status_code == 403


def test_an_agent_profile_round_trips_and_bad_hours_are_named(workspace: Workspace) -> None:
    profile = {
        "handle": "lea",
        "name": "Lea",
        "chat": "@lea",
        "skills": ["billing", "enterprise"],
        "languages": ["de", "en"],
        "timezone": "Europe/Berlin",
        "working_hours": {day: ["09:00-17:00"] for day in WEEKDAYS},
        "authority": {"refund": 200, "credit": "unlimited"},
    }
    created = workspace.client.post("/api/v1/agents", json=profile, headers=workspace.headers())
    assert created.status_code == 201, created.text
    shown = created.json()
    assert {key: shown[key] for key in profile} == profile
    bad = workspace.client.patch(
        "/api/v1/agents/lea",
        json={"working_hours": {"mon": ["09:00-25:00"]}},
        headers=workspace.headers(),
    )
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "body.working_hours.mon[0]"
    wrong_zone = workspace.client.patch(
        "/api/v1/agents/lea", json={"timezone": "Nowhere/Else"}, headers=workspace.headers()
    )
    assert wrong_zone.status_code == 422
    assert wrong_zone.json()["details"][0]["field"] == "body.timezone"
    again = workspace.client.get("/api/v1/agents/lea", headers=workspace.headers()).json()
    assert again["timezone"] == "Europe/Berlin"
