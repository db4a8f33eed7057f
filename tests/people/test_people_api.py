"""Teams, agents, users and API tokens through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.builders.workspace import Workspace


def post(ws: Workspace, path: str, body: dict[str, Any], role: str = "admin") -> Any:
    """POST JSON as a user of `role`."""
    return ws.client.post(f"/api/v1{path}", json=body, headers=ws.headers(role))


def get(ws: Workspace, path: str, role: str = "admin", token: str | None = None) -> Any:
    """GET as a user of `role` (or with a given bearer token)."""
    headers = {"Authorization": f"Bearer {token}"} if token else ws.headers(role)
    return ws.client.get(f"/api/v1{path}", headers=headers)


def new_agent(ws: Workspace, handle: str = "lou", **fields: Any) -> dict[str, Any]:
    """Create an agent in the frontline team."""
    body = {"handle": handle, "name": handle.title(), "teams": ["frontline"], **fields}
    response = post(ws, "/agents", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


# -- teams --------------------------------------------------------------------------------------


def test_an_admin_creates_a_team_that_all_staff_can_read(workspace: Workspace) -> None:
    created = post(workspace, "/teams", {"name": "night-shift", "description": "22:00-06:00"})

    assert created.status_code == 201
    assert created.json()["name"] == "night-shift"
    assert created.json()["members"] == []
    assert get(workspace, "/teams/night-shift", role="integration").status_code == 403
    one = get(workspace, "/teams/night-shift", role="agent")
    assert one.status_code == 200
    assert one.json()["description"] == "22:00-06:00"
    names = [team["name"] for team in get(workspace, "/teams", role="agent").json()]
    assert names == sorted(names)
    assert "night-shift" in names


def test_a_duplicate_team_is_a_conflict(workspace: Workspace) -> None:
    response = post(workspace, "/teams", {"name": "frontline"})

    assert response.status_code == 409
    assert "a team named 'frontline' already exists" in response.json()["message"]


def test_an_unknown_team_is_404(workspace: Workspace) -> None:
    response = get(workspace, "/teams/nowhere")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


# -- agents -------------------------------------------------------------------------------------


def test_an_admin_adds_an_agent_to_teams(workspace: Workspace) -> None:
    agent = new_agent(
        workspace,
        "lou",
        email="lou@example.org",
        level="frontline",
        capacity=5,
        teams=["frontline", "finance", "frontline"],
    )

    assert agent["teams"] == ["finance", "frontline"]
    assert agent["status"] == "available"
    assert agent["active"] is True
    assert agent["capacity"] == 5
    members = get(workspace, "/teams/finance").json()["members"]
    assert members == ["lou"]
    assert get(workspace, "/agents/lou", role="agent").json() == agent


def test_a_duplicate_agent_handle_is_a_conflict(workspace: Workspace) -> None:
    response = post(workspace, "/agents", {"handle": "ana", "name": "Another Ana"})

    assert response.status_code == 409
    assert "'ana' already exists" in response.json()["message"]


def test_an_agent_in_an_unknown_team_is_refused_and_not_stored(workspace: Workspace) -> None:
    response = post(
        workspace, "/agents", {"handle": "lou", "name": "Lou", "teams": ["frontline", "ghosts"]}
    )

    assert response.status_code == 422
    assert "unknown team(s): ghosts" in response.json()["message"]
    assert get(workspace, "/agents/lou").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"handle": "two words", "name": "X"}, "body.handle"),
        ({"handle": "lou", "name": "Lou", "email": "nope"}, "body.email"),
        ({"handle": "lou", "name": "Lou", "status": "asleep"}, "body.status"),
        ({"handle": "lou", "name": "Lou", "capacity": -1}, "body.capacity"),
    ],
)
def test_malformed_agents_name_the_field(
    workspace: Workspace, body: dict[str, Any], field: str
) -> None:
    response = post(workspace, "/agents", body)

    assert response.status_code == 422
    assert field in [detail["field"] for detail in response.json()["details"]]


def test_patching_an_agent_replaces_its_teams_and_changes_its_status(
    workspace: Workspace,
) -> None:
    new_agent(workspace, "lou")

    response = workspace.client.patch(
        "/api/v1/agents/lou",
        json={"teams": ["finance", "supervisors"], "status": "away", "capacity": 3},
        headers=workspace.headers(),
    )

    assert response.status_code == 200, response.text
    agent = response.json()
    assert agent["teams"] == ["finance", "supervisors"]
    assert agent["status"] == "away"
    assert agent["capacity"] == 3
    assert agent["name"] == "Lou"  # untouched
    assert "lou" not in get(workspace, "/teams/frontline").json()["members"]
    assert "lou" in get(workspace, "/teams/supervisors").json()["members"]
    assert get(workspace, "/agents/lou").json() == agent


def test_patching_an_agent_without_teams_keeps_its_teams(workspace: Workspace) -> None:
    new_agent(workspace, "lou")

    response = workspace.client.patch(
        "/api/v1/agents/lou", json={"status": "off_shift"}, headers=workspace.headers()
    )

    assert response.status_code == 200
    assert response.json()["teams"] == ["frontline"]
    assert response.json()["status"] == "off_shift"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"teams": ["ghosts"]}, 422, "unknown team(s): ghosts"),
        ({"status": None}, 422, "status cannot be null"),
        ({"status": "asleep"}, 422, "body.status"),
        ({"handle": "new"}, 422, "body.handle"),
    ],
)
def test_impossible_agent_changes_are_refused_and_change_nothing(
    workspace: Workspace, body: dict[str, Any], status: int, words: str
) -> None:
    before = new_agent(workspace, "lou")

    response = workspace.client.patch("/api/v1/agents/lou", json=body, headers=workspace.headers())

    assert response.status_code == status
    assert words in response.text
    assert get(workspace, "/agents/lou").json() == before


def test_patching_an_unknown_agent_is_404(workspace: Workspace) -> None:
    response = workspace.client.patch(
        "/api/v1/agents/nobody", json={"status": "away"}, headers=workspace.headers()
    )

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "agent", "integration"])
def test_only_admins_change_teams_and_agents(workspace: Workspace, role: str) -> None:
    team = post(workspace, "/teams", {"name": "x"}, role=role)
    agent = post(workspace, "/agents", {"handle": "lou", "name": "Lou"}, role=role)
    patch = workspace.client.patch(
        "/api/v1/agents/ana", json={"status": "away"}, headers=workspace.headers(role)
    )

    assert (team.status_code, agent.status_code, patch.status_code) == (403, 403, 403)
    assert get(workspace, "/agents/ana").json()["status"] == "available"


# -- users --------------------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_acts_as_an_agent(workspace: Workspace) -> None:
    new_agent(workspace, "lou")

    created = post(
        workspace,
        "/users",
        {"username": "lou", "role": "agent", "agent": "lou", "email": "lou@example.org"},
    )

    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["username"], user["role"], user["agent"], user["active"]) == (
        "lou",
        "agent",
        "lou",
        True,
    )
    token = post(workspace, "/users/lou/tokens", {"name": "laptop"}).json()["token"]
    me = get(workspace, "/me", token=token)
    assert me.status_code == 200
    assert me.json() == {"username": "lou", "role": "agent", "agent": "lou"}
    assert "lou" in [u["username"] for u in get(workspace, "/users").json()]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"username": "agent", "role": "agent"}, 409, "a user named 'agent' already exists"),
        ({"username": "zed", "role": "overlord"}, 422, "body.role"),
        ({"username": "zed", "role": "agent", "agent": "ghost"}, 422, "no agent has the handle"),
        ({"username": "zed", "role": "agent", "agent": "ana"}, 409, "already linked"),
    ],
)
def test_impossible_users_are_refused(
    workspace: Workspace, body: dict[str, Any], status: int, words: str
) -> None:
    before = get(workspace, "/users").json()

    response = post(workspace, "/users", body)

    assert response.status_code == status
    assert words in response.text
    assert get(workspace, "/users").json() == before


# -- tokens -------------------------------------------------------------------------------------


def test_a_user_creates_a_token_for_themselves_and_it_works(workspace: Workspace) -> None:
    created = post(workspace, "/users/agent/tokens", {"name": "cli"}, role="agent")

    assert created.status_code == 201
    body = created.json()
    assert body["user"] == "agent"
    assert body["name"] == "cli"
    assert body["token"].startswith("esc_")
    assert body["token"].startswith(body["prefix"])
    # Tokens have a lifetime now: ESCALON_TOKEN_LIFETIME_DAYS (90) when none is asked for.
    assert body["expires_at"] == (workspace.clock.now() + timedelta(days=90)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    me = get(workspace, "/me", token=body["token"])
    assert me.json() == {"username": "agent", "role": "agent", "agent": "ana"}


def test_an_agent_may_not_create_a_token_for_another_user(workspace: Workspace) -> None:
    before = [token["id"] for token in get(workspace, "/tokens").json()]

    response = post(workspace, "/users/supervisor/tokens", {"name": "sneaky"}, role="agent")

    assert response.status_code == 403
    assert "only admins create tokens for other users" in response.json()["message"]
    assert [token["id"] for token in get(workspace, "/tokens").json()] == before


def test_an_admin_creates_a_token_for_anyone_but_not_for_nobody(workspace: Workspace) -> None:
    for_sara = post(workspace, "/users/supervisor/tokens", {})
    for_nobody = post(workspace, "/users/nobody/tokens", {})

    assert for_sara.status_code == 201
    assert get(workspace, "/me", token=for_sara.json()["token"]).json()["username"] == "supervisor"
    assert for_nobody.status_code == 404


def test_token_listings_never_show_secrets(workspace: Workspace) -> None:
    secret = post(workspace, "/users/agent/tokens", {"name": "cli"}, role="agent").json()["token"]

    mine = get(workspace, "/tokens", role="agent")
    everyone = get(workspace, "/tokens")

    assert mine.status_code == everyone.status_code == 200
    assert {token["user"] for token in mine.json()} == {"agent"}
    assert [token["name"] for token in mine.json()] == ["", "cli"]
    assert {token["user"] for token in everyone.json()} == {
        "admin",
        "supervisor",
        "agent",
        "integration",
    }
    for listing in (mine, everyone):
        assert secret not in listing.text
        assert workspace.tokens["agent"] not in listing.text
        for token in listing.json():
            assert "token" not in token
            assert "token_hash" not in token
            assert len(token["prefix"]) == 12


def test_a_revoked_token_is_refused_and_listed_as_revoked(workspace: Workspace) -> None:
    created = post(workspace, "/users/agent/tokens", {"name": "old"}, role="agent").json()
    workspace.clock.advance(minutes=5)

    revoked = workspace.client.delete(
        f"/api/v1/tokens/{created['id']}", headers=workspace.headers("agent")
    )

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] == "2026-11-30T09:05:00Z"
    refused = get(workspace, "/me", token=created["token"])
    assert refused.status_code == 401
    assert "revoked" in refused.json()["message"]
    assert get(workspace, "/me", role="agent").status_code == 200  # their other token still works


def test_an_agent_may_not_revoke_another_users_token(workspace: Workspace) -> None:
    theirs = post(workspace, "/users/supervisor/tokens", {}, role="supervisor").json()

    response = workspace.client.delete(
        f"/api/v1/tokens/{theirs['id']}", headers=workspace.headers("agent")
    )

    assert response.status_code == 403
    assert get(workspace, "/me", token=theirs["token"]).status_code == 200


def test_a_token_stops_working_when_it_expires(workspace: Workspace) -> None:
    created = post(workspace, "/users/agent/tokens", {"expires_in_days": 2}, role="agent")
    assert created.status_code == 201
    token = created.json()["token"]
    assert created.json()["expires_at"] == "2026-12-02T09:00:00Z"

    workspace.clock.advance(hours=47, minutes=59)
    assert get(workspace, "/me", token=token).status_code == 200

    workspace.clock.advance(minutes=1)
    expired = get(workspace, "/me", token=token)

    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == "Bearer"
    assert "expired" in expired.json()["message"]
    assert get(workspace, "/me", role="agent").status_code == 200  # no expiry on the seeded one


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_a_token_lifetime_out_of_range_is_refused(workspace: Workspace, days: int) -> None:
    response = post(workspace, "/users/agent/tokens", {"expires_in_days": days}, role="agent")

    assert response.status_code == 422
    assert "body.expires_in_days" in [d["field"] for d in response.json()["details"]]


def test_using_a_token_records_when_it_was_last_used(workspace: Workspace) -> None:
    created = post(workspace, "/users/agent/tokens", {"name": "cli"}, role="agent").json()
    workspace.clock.advance(minutes=3)

    get(workspace, "/me", token=created["token"])

    listed = {t["id"]: t for t in get(workspace, "/tokens", role="agent").json()}
    assert listed[created["id"]]["last_used_at"] == "2026-11-30T09:03:00Z"


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent", "integration"])
def test_me_says_who_the_caller_is(workspace: Workspace, role: str) -> None:
    agents = {"supervisor": "sara", "agent": "ana"}

    response = get(workspace, "/me", role=role)

    assert response.status_code == 200
    assert response.json() == {"username": role, "role": role, "agent": agents.get(role)}
