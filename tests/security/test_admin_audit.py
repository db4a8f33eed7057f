"""The admin audit trail: every administrative change leaves an entry only admins read, and
nobody (not even someone with the database's credentials) rewrites it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.builders.workspace import Workspace


def test_creating_a_user_and_a_token_is_in_the_admin_audit(workspace: Workspace) -> None:
    client = workspace.client
    made = client.post(
        "/api/v1/users", json={"username": "zoe", "role": "agent"}, headers=workspace.headers()
    )
    assert made.status_code == 201
    token = client.post(
        "/api/v1/users/zoe/tokens", json={"name": "laptop"}, headers=workspace.headers()
    )
    assert token.status_code == 201
    page = client.get("/api/v1/admin/audit", headers=workspace.headers()).json()
    actions = [(e["action"], e["target"], e["actor"], e["via"]) for e in page["entries"]]
    assert actions[:2] == [
        ("token.created", f"token:{token.json()['id']}", "admin", "api"),
        ("user.created", "user:zoe", "admin", "api"),
    ]
    assert token.json()["token"] not in str(page), "the secret never enters the trail"


def test_policy_and_roster_changes_are_in_the_admin_audit(workspace: Workspace) -> None:
    client = workspace.client
    activated = client.post(
        f"/api/v1/policies/{workspace.policy_id}/activate", headers=workspace.headers()
    )
    assert activated.status_code == 200
    added = client.post(
        "/api/v1/agents", json={"handle": "lee", "name": "Lee"}, headers=workspace.headers()
    )
    assert added.status_code == 201
    changed = client.patch(
        "/api/v1/agents/lee",
        json={"authority": {"refund": 900}},
        headers=workspace.headers(),
    )
    assert changed.status_code == 200
    entries = client.get(
        "/api/v1/admin/audit", params={"subject": "agent"}, headers=workspace.headers()
    ).json()["entries"]
    assert [e["action"] for e in entries] == ["agent.updated", "agent.created"]
    assert entries[0]["data"] == {"authority": {"refund": 900.0}}
    # Activating the version that is already active changes nothing, so it records nothing.
    policies = client.get(
        "/api/v1/admin/audit", params={"subject": "policy"}, headers=workspace.headers()
    ).json()["entries"]
    assert policies == []


@pytest.mark.parametrize("role", ["supervisor", "agent", "integration"])
def test_only_admins_read_the_admin_audit(workspace: Workspace, role: str) -> None:
    answer = workspace.client.get("/api/v1/admin/audit", headers=workspace.headers(role))
    assert answer.status_code == 403


def test_an_unknown_action_filter_is_a_clear_422(workspace: Workspace) -> None:
    answer = workspace.client.get(
        "/api/v1/admin/audit", params={"action": "user.vanished"}, headers=workspace.headers()
    )
    assert answer.status_code == 422
    assert "user.vanished" in answer.json()["message"]


def test_the_admin_audit_cannot_be_rewritten_or_deleted(workspace: Workspace) -> None:
    workspace.client.post(
        "/api/v1/users", json={"username": "zoe", "role": "agent"}, headers=workspace.headers()
    )
    for statement in ("UPDATE admin_audit SET actor = 'nobody'", "DELETE FROM admin_audit"):
        with pytest.raises(DBAPIError, match="append-only"), workspace.database.write() as session:
            session.execute(text(statement))
    with workspace.database.read() as session:
        assert session.execute(text("SELECT actor FROM admin_audit")).scalars().all() == ["admin"]
