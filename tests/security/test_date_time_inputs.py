"""Date-times at the edge of the calendar never make a 500.

The attack: `GET /teams/{name}/on-call?at=9999-12-31T23:59:59Z` (or year 1) answered 500, because
the answer's shift, or the instant itself once moved to UTC, lies outside the years Python can
represent. Every date-time the API reads (found in its OpenAPI schema, so a new one is covered
too) and the date-times inside rotations now get a clear 4xx or a correct answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders.workspace import Workspace

EDGES = [
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-23:59",
    "9999-12-25T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+23:59",
    "0001-01-08T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z",
]
ROTATION = {
    "layers": [
        {
            "name": "office",
            "members": ["omar", "mia"],
            "shift": "1w",
            "handoff": "2026-11-30T09:00",
            "timezone": "Europe/Berlin",
            "restrict": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
        }
    ],
    "overrides": [
        {"person": "ana", "start": "2026-12-24T00:00+01:00", "end": "2026-12-27T00:00+01:00"}
    ],
}
# Values for the path parameters of the operations that take a date-time.
PATH_VALUES = {"name": "frontline", "case_id": "1", "handle": "ana"}


def date_time_parameters(workspace: Workspace) -> list[tuple[str, str]]:
    """Every (path, query parameter) of a GET operation that reads a date-time."""
    schema = workspace.client.get("/openapi.json").json()
    found = []
    for path, operations in schema["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            options = parameter["schema"].get("anyOf", [parameter["schema"]])
            if parameter["in"] == "query" and any(o.get("format") == "date-time" for o in options):
                found.append((path.format(**PATH_VALUES), parameter["name"]))
    return found


def with_rotation(workspace: Workspace, rotation: dict[str, Any] = ROTATION) -> None:
    response = workspace.client.put(
        "/api/v1/teams/frontline/rotation", json=rotation, headers=workspace.headers()
    )
    assert response.status_code == 200, response.text


def test_on_call_at_the_last_second_of_year_9999_is_not_a_server_error(
    workspace: Workspace,
) -> None:
    with_rotation(workspace)
    response = workspace.client.get(
        "/api/v1/teams/frontline/on-call",
        params={"at": "9999-12-31T23:59:59Z"},
        headers=workspace.headers(),
    )
    assert response.status_code == 422, response.text
    assert "at" in response.json()["message"]
    assert "between" in response.json()["message"]


def test_every_date_time_query_parameter_takes_the_edges_of_the_calendar(
    workspace: Workspace,
) -> None:
    with_rotation(workspace)
    parameters = date_time_parameters(workspace)
    assert ("/api/v1/teams/frontline/on-call", "at") in parameters
    assert ("/api/v1/teams/frontline/shifts", "start") in parameters
    assert ("/api/v1/cases", "opened_after") in parameters
    assert ("/api/v1/kpis", "since") in parameters
    failures = []
    for path, name in parameters:
        for value in EDGES:
            response = workspace.client.get(path, params={name: value}, headers=workspace.headers())
            if response.status_code >= 500 or (
                response.status_code >= 400 and name not in response.json()["message"]
            ):
                failures.append((path, name, value, response.status_code, response.text[:200]))
    assert failures == []


def test_on_call_inside_the_supported_years_is_answered(workspace: Workspace) -> None:
    with_rotation(workspace)
    for at in ("2999-12-30T12:00:00Z", "1900-01-02T12:00:00+01:00"):
        response = workspace.client.get(
            "/api/v1/teams/frontline/on-call", params={"at": at}, headers=workspace.headers()
        )
        assert response.status_code == 200, response.text
        shifts = workspace.client.get(
            "/api/v1/teams/frontline/shifts",
            params={"start": at, "count": 200},
            headers=workspace.headers(),
        )
        assert shifts.status_code == 200, shifts.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("handoff", "9999-12-31T23:59"),
        ("handoff", "0001-01-01T00:00"),
        ("shift", "99999999999w"),
        ("shift", "1428571w"),
        ("override_start", "0001-01-01T00:00+23:59"),
        ("override_end", "9999-12-31T23:59-23:59"),
    ],
)
def test_date_times_inside_a_rotation_get_a_4xx_or_work(
    workspace: Workspace, field: str, value: str
) -> None:
    layer = dict(ROTATION["layers"][0])  # type: ignore[index]
    override = {"person": "ana", "start": "2026-12-24T00:00+01:00", "end": "2027-01-01T00:00Z"}
    if field in ("handoff", "shift"):
        layer[field] = value
    else:
        override[field.removeprefix("override_")] = value
    response = workspace.client.put(
        "/api/v1/teams/frontline/rotation",
        json={"layers": [layer], "overrides": [override]},
        headers=workspace.headers(),
    )
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert "rotation" in response.text
        return
    for path in ("/api/v1/teams/frontline/on-call", "/api/v1/teams/frontline/shifts"):
        for at in ("2026-12-01T10:00:00Z", "2999-12-31T23:00:00Z", "1900-01-01T00:00:00Z"):
            key = "at" if path.endswith("on-call") else "start"
            answer = workspace.client.get(path, params={key: at}, headers=workspace.headers())
            assert answer.status_code < 500, (path, at, answer.text)
    team = workspace.client.get("/api/v1/teams/frontline", headers=workspace.headers())
    assert team.status_code == 200, team.text


@pytest.mark.parametrize("posted_at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_social_post_from_the_edge_of_the_calendar_is_not_a_server_error(
    workspace: Workspace, posted_at: str
) -> None:
    response = workspace.client.post(
        "/api/v1/social/posts",
        json={
            "network": "mastodon",
            "post_id": f"p-{posted_at[:4]}",
            "author": {"handle": "@someone"},
            "text": "My order never arrived",
            "public": True,
            "posted_at": posted_at,
        },
        headers=workspace.headers("integration"),
    )
    assert response.status_code < 500, response.text
