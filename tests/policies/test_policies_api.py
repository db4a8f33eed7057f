"""The policy API on SQLite and PostgreSQL: validating, storing, activating and migrating."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from escalon.demo import policy_text
from escalon.notifications.models import OutboxMessage
from tests.builders.workspace import Workspace

# Four independent mistakes, each on its own line.
BROKEN = """\
name: broken
version: 2
calendars:
  office:
    timezone: Mars/Olympus
    hours: always
priority:
  order: [P1, P2]
  default: P9
levels:
  - {name: frontline, team: frontline}
slas:
  - name: standard
    calendar: office
    targets: {first_response: 3d}
rules:
  - name: up
    trigger: sla.breach
    do:
      - escalate: {to: supervisr}
"""

# A sound policy whose levels have other names than the example policy's.
OTHER_LADDER = """\
name: other-ladder
version: 1
calendars:
  always: {timezone: UTC, hours: always}
priority:
  order: [P1, P2, P3, P4]
  default: P3
levels:
  - {name: tier1, team: frontline}
  - {name: tier2, team: supervisors}
slas:
  - name: standard
    calendar: always
    targets: {first_response: 1h}
"""


def acme_v2() -> str:
    """The example policy as version 2, with a standard first response of 2h instead of 4h."""
    text = policy_text()
    assert "version: 1\n" in text
    assert "targets: {first_response: 4h, next_response: 8h, resolution: 24h}" in text
    return text.replace("version: 1\n", "version: 2\n", 1).replace(
        "targets: {first_response: 4h,", "targets: {first_response: 2h,", 1
    )


def upload(ws: Workspace, source: str, role: str = "admin", **fields: Any) -> Any:
    """POST a policy; returns the response."""
    return ws.client.post(
        "/api/v1/policies", json={"source": source, **fields}, headers=ws.headers(role)
    )


def versions(ws: Workspace) -> list[tuple[int, str, str, bool]]:
    """(id, name, version, active) of every stored version, newest first."""
    response = ws.client.get("/api/v1/policies", headers=ws.headers("agent"))
    assert response.status_code == 200
    return [(v["id"], v["name"], v["version"], v["active"]) for v in response.json()]


def open_case(ws: Workspace) -> dict[str, Any]:
    """A standard case, opened through the API."""
    response = ws.client.post(
        "/api/v1/cases",
        json={"customer": {"ref": "K-1", "tier": "standard"}, "subject": "Help"},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def case(ws: Workspace, case_id: int) -> dict[str, Any]:
    """A case as the API shows it."""
    return dict(ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers()).json())


def first_response_due(ws: Workspace, case_id: int) -> str:
    """When the case's first response is due, as the API writes it."""
    sla = ws.client.get(f"/api/v1/cases/{case_id}/sla", headers=ws.headers()).json()
    return str(next(c for c in sla["clocks"] if c["metric"] == "first_response")["due_at"])


def test_validate_reports_every_error_with_file_line_and_field(workspace: Workspace) -> None:
    before = versions(workspace)

    response = workspace.client.post(
        "/api/v1/policies/validate",
        json={"source": BROKEN, "filename": "broken.yaml"},
        headers=workspace.headers(),
    )

    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is False
    assert result["summary"] is None
    found = [(e["source"], e["line"], e["field"]) for e in result["errors"]]
    assert found == [
        ("broken.yaml", 5, "calendars.office.timezone"),
        ("broken.yaml", 9, "priority.default"),
        ("broken.yaml", 15, "slas[0].targets.first_response"),
        ("broken.yaml", 20, "rules[0].do[0].escalate.to"),
    ]
    problems = [e["problem"] for e in result["errors"]]
    assert "Mars/Olympus" in problems[0]
    assert "unknown priority 'P9'" in problems[1]
    assert "write hours" in problems[2]
    assert "unknown level 'supervisr'" in problems[3]
    assert versions(workspace) == before


def test_validate_summarises_a_sound_policy_without_storing_it(workspace: Workspace) -> None:
    before = versions(workspace)

    response = workspace.client.post(
        "/api/v1/policies/validate",
        json={"source": OTHER_LADDER, "filename": "other.yaml"},
        headers=workspace.headers(),
    )

    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is True
    assert result["errors"] == []
    assert result["summary"]["name"] == "other-ladder"
    assert result["summary"]["levels"] == ["tier1", "tier2"]
    assert versions(workspace) == before


def test_uploading_an_invalid_policy_is_422_naming_line_and_field_and_stores_nothing(
    workspace: Workspace,
) -> None:
    before = versions(workspace)

    response = upload(workspace, BROKEN, filename="broken.yaml", activate=True)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert body["message"] == "broken.yaml has 4 error(s); nothing was stored"
    assert {(d["line"], d["field"]) for d in body["details"]} == {
        (5, "calendars.office.timezone"),
        (9, "priority.default"),
        (15, "slas[0].targets.first_response"),
        (20, "rules[0].do[0].escalate.to"),
    }
    assert versions(workspace) == before


def test_a_policy_that_is_not_yaml_is_refused_with_its_line(workspace: Workspace) -> None:
    response = upload(workspace, "name: x\nlevels: [a, b\n", filename="bad.yaml")

    assert response.status_code == 422
    (detail,) = response.json()["details"]
    assert detail["source"] == "bad.yaml"
    assert detail["line"] is not None


def test_uploading_the_same_text_twice_returns_the_stored_version(workspace: Workspace) -> None:
    first = upload(workspace, OTHER_LADDER, filename="other.yaml")
    again = upload(workspace, OTHER_LADDER, filename="other.yaml")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert first.headers["Location"] == f"/api/v1/policies/{first.json()['id']}"
    assert first.json()["source"] == OTHER_LADDER
    assert first.json()["active"] is False
    assert [v[0] for v in versions(workspace)].count(first.json()["id"]) == 1


def test_the_same_name_and_version_with_other_content_is_a_conflict(workspace: Workspace) -> None:
    changed = policy_text().replace("first_response: 4h,", "first_response: 3h,", 1)
    assert changed != policy_text()
    before = versions(workspace)

    response = upload(workspace, changed)

    assert response.status_code == 409
    assert "give the changed policy a new version" in response.json()["message"]
    assert versions(workspace) == before


@pytest.mark.parametrize("role", ["supervisor", "agent", "integration"])
def test_only_admins_upload_or_activate_policies(workspace: Workspace, role: str) -> None:
    before = versions(workspace)

    uploaded = upload(workspace, OTHER_LADDER, role=role)
    activated = workspace.client.post(
        f"/api/v1/policies/{workspace.policy_id}/activate", headers=workspace.headers(role)
    )

    assert uploaded.status_code == 403
    assert activated.status_code == 403
    assert versions(workspace) == before


def test_activation_switches_the_policy_of_new_cases_only(workspace: Workspace) -> None:
    old_case = open_case(workspace)
    v2 = upload(workspace, acme_v2(), filename="acme-v2.yaml").json()
    assert open_case(workspace)["policy"]["id"] == workspace.policy_id  # stored, not active yet

    activated = workspace.client.post(
        f"/api/v1/policies/{v2['id']}/activate", headers=workspace.headers()
    )

    assert activated.status_code == 200
    assert activated.json()["active"] is True
    assert activated.json()["activated_at"] == "2026-11-30T09:00:00Z"
    new_case = open_case(workspace)
    assert new_case["policy"] == {"id": v2["id"], "name": "acme-support", "version": "2"}
    assert case(workspace, old_case["id"])["policy"]["id"] == workspace.policy_id
    # Each case is evaluated under its own version: 4h against 2h from Monday 10:00 Berlin.
    assert first_response_due(workspace, old_case["id"]) == "2026-11-30T14:00:00+01:00"
    assert first_response_due(workspace, new_case["id"]) == "2026-11-30T12:00:00+01:00"
    assert [v[3] for v in versions(workspace)] == [True, False]
    back = workspace.client.post(
        f"/api/v1/policies/{workspace.policy_id}/activate", headers=workspace.headers()
    )
    assert back.status_code == 200
    assert [v[3] for v in versions(workspace)] == [False, True]
    assert open_case(workspace)["policy"]["id"] == workspace.policy_id
    assert case(workspace, new_case["id"])["policy"]["id"] == v2["id"]


def test_the_active_policy_is_served_with_its_text(workspace: Workspace) -> None:
    active = workspace.client.get("/api/v1/policies/active", headers=workspace.headers("agent"))
    assert active.status_code == 200
    assert active.json()["id"] == workspace.policy_id
    assert active.json()["source"] == policy_text()

    v2 = upload(workspace, acme_v2(), activate=True)

    assert v2.status_code == 201
    assert v2.json()["active"] is True
    now_active = workspace.client.get("/api/v1/policies/active", headers=workspace.headers())
    assert now_active.json()["id"] == v2.json()["id"]
    assert now_active.json()["version"] == "2"
    old = workspace.client.get(
        f"/api/v1/policies/{workspace.policy_id}", headers=workspace.headers()
    )
    assert old.json()["active"] is False


def test_an_admin_migrates_a_case_to_another_policy_version(workspace: Workspace) -> None:
    opened = open_case(workspace)
    v2 = upload(workspace, acme_v2()).json()
    workspace.clock.advance(minutes=30)

    response = workspace.client.post(
        f"/api/v1/cases/{opened['id']}/policy",
        json={"policy_version_id": v2["id"]},
        headers=workspace.headers(),
    )

    assert response.status_code == 200, response.text
    assert response.json()["policy"] == {"id": v2["id"], "name": "acme-support", "version": "2"}
    assert response.headers["ETag"] == '"2"'
    assert first_response_due(workspace, opened["id"]) == "2026-11-30T12:00:00+01:00"
    trail = workspace.client.get(
        f"/api/v1/cases/{opened['id']}/audit", headers=workspace.headers()
    ).json()["items"]
    migrated = [entry for entry in trail if entry["kind"] == "case.policy_migrated"]
    assert len(migrated) == 1
    assert migrated[0]["data"] == {"from": workspace.policy_id, "to": v2["id"]}
    assert migrated[0]["actor"] == "admin"
    assert migrated[0]["at"] == "2026-11-30T09:30:00Z"


def test_migrating_to_a_policy_without_the_cases_level_is_refused_with_the_reason(
    workspace: Workspace,
) -> None:
    opened = open_case(workspace)
    other = upload(workspace, OTHER_LADDER).json()

    response = workspace.client.post(
        f"/api/v1/cases/{opened['id']}/policy",
        json={"policy_version_id": other["id"]},
        headers=workspace.headers(),
    )

    assert response.status_code == 409
    assert "unknown level 'frontline'" in response.json()["message"]
    after = case(workspace, opened["id"])
    assert after["policy"]["id"] == workspace.policy_id
    assert after["version"] == opened["version"]


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [("supervisor", "v2", 403), ("admin", "same", 409), ("admin", "missing", 404)],
)
def test_impossible_migrations_are_refused(
    workspace: Workspace, role: str, target: str, status: int
) -> None:
    opened = open_case(workspace)
    v2 = upload(workspace, acme_v2()).json()
    version_id = {"v2": v2["id"], "same": workspace.policy_id, "missing": 9999}[target]

    response = workspace.client.post(
        f"/api/v1/cases/{opened['id']}/policy",
        json={"policy_version_id": version_id},
        headers=workspace.headers(role),
    )

    assert response.status_code == status
    assert case(workspace, opened["id"])["policy"]["id"] == workspace.policy_id


def test_a_migration_based_on_a_stale_version_of_the_case_is_refused(workspace: Workspace) -> None:
    opened = open_case(workspace)
    v2 = upload(workspace, acme_v2()).json()
    workspace.client.patch(
        f"/api/v1/cases/{opened['id']}",
        json={"priority": "P2"},
        headers=workspace.headers("agent", **{"If-Match": '"1"'}),
    )

    response = workspace.client.post(
        f"/api/v1/cases/{opened['id']}/policy",
        json={"policy_version_id": v2["id"]},
        headers=workspace.headers(**{"If-Match": '"1"'}),
    )

    assert response.status_code == 412
    assert case(workspace, opened["id"])["policy"]["id"] == workspace.policy_id


def test_moving_a_resolved_case_to_another_policy_tells_the_customer_nothing_again(
    workspace: Workspace,
) -> None:
    """The migration carries the case's status as loaded, so the customer's resolution message
    (and its follow-up) are not written a second time."""
    opened = open_case(workspace)
    resolved = workspace.client.patch(
        f"/api/v1/cases/{opened['id']}",
        json={"status": "resolved"},
        headers=workspace.headers(**{"If-Match": f'"{opened["version"]}"'}),
    )
    assert resolved.status_code == 200, resolved.text
    v2 = upload(workspace, acme_v2()).json()
    with workspace.database.read() as session:
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    moved = workspace.client.post(
        f"/api/v1/cases/{opened['id']}/policy",
        json={"policy_version_id": v2["id"]},
        headers=workspace.headers(),
    )
    assert moved.status_code == 200, moved.text
    with workspace.database.read() as session:
        after = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert after == before
