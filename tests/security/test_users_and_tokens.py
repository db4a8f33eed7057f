"""Users and tokens: tokens have a lifetime, a token cannot mint one that outlives it, only an
admin asks for a token that never expires; users can be disabled and their role changed, which
ends their tokens and sessions at once in this process; all of it is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from escalon.api.app import create_app
from escalon.config import Settings
from tests.builders.workspace import Workspace

DAY = timedelta(days=1)


def _mint(ws: Workspace, username: str, body: dict[str, Any], *, token: str) -> Any:
    return ws.client.post(
        f"/api/v1/users/{username}/tokens",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _audit(ws: Workspace, **params: str) -> list[dict[str, Any]]:
    page = ws.client.get("/api/v1/admin/audit", params=params, headers=ws.headers()).json()
    return list(page["entries"])


def test_a_new_token_expires_after_the_default_lifetime(workspace: Workspace) -> None:
    created = _mint(workspace, "agent", {}, token=workspace.tokens["agent"])

    assert created.status_code == 201
    assert _at(created.json()["expires_at"]) == workspace.clock.now() + 90 * DAY


def test_a_token_stops_working_when_it_expires(workspace: Workspace) -> None:
    token = _mint(workspace, "agent", {"expires_in_days": 2}, token=workspace.tokens["agent"])
    me = {"Authorization": f"Bearer {token.json()['token']}"}
    workspace.clock.advance(hours=47)
    assert workspace.client.get("/api/v1/me", headers=me).status_code == 200

    workspace.clock.advance(hours=1)

    assert workspace.client.get("/api/v1/me", headers=me).status_code == 401


def test_only_an_admin_asks_for_a_token_that_never_expires(workspace: Workspace) -> None:
    by_agent = _mint(workspace, "agent", {"never_expires": True}, token=workspace.tokens["agent"])
    by_admin = _mint(workspace, "agent", {"never_expires": True}, token=workspace.tokens["admin"])

    assert by_agent.status_code == 403
    assert "only admins" in by_agent.json()["message"]
    assert by_admin.status_code == 201
    assert by_admin.json()["expires_at"] is None


def test_a_short_lived_token_cannot_mint_a_longer_lived_one(workspace: Workspace) -> None:
    short = _mint(workspace, "agent", {"expires_in_days": 1}, token=workspace.tokens["agent"])
    short_token = short.json()["token"]

    longer = _mint(workspace, "agent", {"expires_in_days": 30}, token=short_token)
    default = _mint(workspace, "agent", {}, token=short_token)

    assert longer.status_code == 422
    assert "cannot outlive" in longer.json()["message"]
    assert default.status_code == 201  # the default lifetime is cut to the minting token's
    assert default.json()["expires_at"] == short.json()["expires_at"]


def test_a_short_lived_admin_token_cannot_mint_one_that_never_expires(
    workspace: Workspace,
) -> None:
    short = _mint(workspace, "admin", {"expires_in_days": 1}, token=workspace.tokens["admin"])

    forever = _mint(workspace, "agent", {"never_expires": True}, token=short.json()["token"])

    assert forever.status_code == 422
    assert "cannot outlive" in forever.json()["message"]


def test_asking_for_days_and_never_at_once_is_refused(workspace: Workspace) -> None:
    both = _mint(
        workspace,
        "agent",
        {"expires_in_days": 5, "never_expires": True},
        token=workspace.tokens["admin"],
    )

    assert both.status_code == 422


@pytest.fixture
def cached(workspace: Workspace) -> Iterator[TestClient]:
    """The API with a long token cache (300 s): what must end, ends in this process at once."""
    settings = Settings(database_url=workspace.database.url, token_cache_seconds=300)
    app = create_app(settings=settings, database=workspace.database, clock=workspace.clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_disabling_a_user_ends_their_tokens_at_once_and_is_audited(
    workspace: Workspace, cached: TestClient
) -> None:
    agent = {"Authorization": f"Bearer {workspace.tokens['agent']}"}
    assert cached.get("/api/v1/me", headers=agent).status_code == 200  # now in the cache

    changed = cached.patch(
        "/api/v1/users/agent", json={"active": False}, headers=workspace.headers()
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False
    assert cached.get("/api/v1/me", headers=agent).status_code == 401
    disabled = _audit(workspace, action="user.disabled")
    assert [e["target"] for e in disabled] == ["user:agent"]
    assert disabled[0]["data"]["tokens_revoked"]
    revoked = _audit(workspace, action="token.revoked")
    assert {e["data"]["reason"] for e in revoked} == {"user disabled"}


def test_a_disabled_user_gets_no_new_token_until_enabled(workspace: Workspace) -> None:
    workspace.client.patch(
        "/api/v1/users/agent", json={"active": False}, headers=workspace.headers()
    )
    refused = _mint(workspace, "agent", {}, token=workspace.tokens["admin"])

    enabled = workspace.client.patch(
        "/api/v1/users/agent", json={"active": True}, headers=workspace.headers()
    )
    old = workspace.client.get("/api/v1/me", headers=workspace.headers("agent"))
    fresh = _mint(workspace, "agent", {}, token=workspace.tokens["admin"])

    assert refused.status_code == 409
    assert enabled.status_code == 200
    assert old.status_code == 401, "enabling does not bring revoked tokens back"
    assert fresh.status_code == 201
    me = {"Authorization": f"Bearer {fresh.json()['token']}"}
    assert workspace.client.get("/api/v1/me", headers=me).status_code == 200
    assert [e["action"] for e in _audit(workspace, subject="user")][:2] == [
        "user.enabled",
        "user.disabled",
    ]


def test_a_new_role_ends_the_users_tokens_at_once_and_is_audited(
    workspace: Workspace, cached: TestClient
) -> None:
    supervisor = {"Authorization": f"Bearer {workspace.tokens['supervisor']}"}
    assert cached.get("/api/v1/me", headers=supervisor).json()["role"] == "supervisor"

    changed = cached.patch(
        "/api/v1/users/supervisor", json={"role": "agent"}, headers=workspace.headers()
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "agent"
    assert cached.get("/api/v1/me", headers=supervisor).status_code == 401
    updated = _audit(workspace, action="user.updated")
    assert updated[0]["data"]["role"] == {"from": "supervisor", "to": "agent"}


def test_only_admins_change_users(workspace: Workspace) -> None:
    for role in ("supervisor", "agent", "integration"):
        response = workspace.client.patch(
            "/api/v1/users/agent", json={"role": "admin"}, headers=workspace.headers(role)
        )
        assert response.status_code == 403
    assert workspace.client.get("/api/v1/me", headers=workspace.headers("agent")).json()[
        "role"
    ] == ("agent")


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(workspace: Workspace) -> None:
    disabled = workspace.client.patch(
        "/api/v1/users/admin", json={"active": False}, headers=workspace.headers()
    )
    demoted = workspace.client.patch(
        "/api/v1/users/admin", json={"role": "agent"}, headers=workspace.headers()
    )

    assert disabled.status_code == 409
    assert demoted.status_code == 409
    assert "last active admin" in disabled.json()["message"]
    assert workspace.client.get("/api/v1/me", headers=workspace.headers()).status_code == 200


def test_changing_an_unknown_user_or_to_an_unknown_role_is_a_clear_4xx(
    workspace: Workspace,
) -> None:
    nobody = workspace.client.patch(
        "/api/v1/users/nobody", json={"active": False}, headers=workspace.headers()
    )
    boss = workspace.client.patch(
        "/api/v1/users/agent", json={"role": "boss"}, headers=workspace.headers()
    )
    extra = workspace.client.patch(
        "/api/v1/users/agent", json={"password": "x"}, headers=workspace.headers()
    )

    assert nobody.status_code == 404
    assert boss.status_code == 422
    assert extra.status_code == 422
