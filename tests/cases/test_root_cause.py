"""Resolving with a root cause: stored on the case, in its audit trail and counted in the KPIs."""

from __future__ import annotations

from typing import Any

from tests.builders.cases import kpis, open_case
from tests.builders.workspace import Workspace


def _patch(ws: Workspace, case_id: int, body: dict[str, Any]) -> Any:
    version = ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers()).json()["version"]
    return ws.client.patch(
        f"/api/v1/cases/{case_id}",
        json=body,
        headers=ws.headers("agent", **{"If-Match": f'"{version}"'}),
    )


def _audit_kinds(ws: Workspace, case_id: int) -> list[tuple[str, Any]]:
    items = ws.client.get(f"/api/v1/cases/{case_id}/audit", headers=ws.headers()).json()["items"]
    return [(item["kind"], item["data"]) for item in items]


def test_resolving_with_a_root_cause_stores_it_and_audits_the_change(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    workspace.clock.advance(minutes=3)
    response = _patch(workspace, case_id, {"status": "resolved", "root_cause": "  billing bug "})
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "resolved"
    assert case["root_cause"] == "billing bug"
    kinds = _audit_kinds(workspace, case_id)
    assert ("status.changed", {"status": "resolved"}) in [
        (kind, {k: v for k, v in data.items() if k == "status"}) for kind, data in kinds
    ]
    assert ("case.root_cause", {"root_cause": "billing bug"}) in kinds


def test_a_root_cause_alone_can_be_named_later_and_an_empty_one_is_refused(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    assert _patch(workspace, case_id, {"status": "resolved"}).status_code == 200
    assert (
        workspace.client.get(f"/api/v1/cases/{case_id}", headers=workspace.headers()).json()[
            "root_cause"
        ]
        is None
    )
    empty = _patch(workspace, case_id, {"root_cause": "   "})
    assert empty.status_code == 422
    assert "root_cause" in empty.text
    later = _patch(workspace, case_id, {"root_cause": "user error"})
    assert later.status_code == 200, later.text
    assert later.json()["root_cause"] == "user error"
    assert later.json()["status"] == "resolved"


def test_the_kpis_count_resolved_cases_by_root_cause(workspace: Workspace) -> None:
    plain = [open_case(workspace)["id"] for _ in range(3)]
    escalated = open_case(workspace)["id"]
    response = workspace.client.post(
        f"/api/v1/cases/{escalated}/escalations",
        json={"kind": "hierarchical", "to_level": "specialist", "reason": "bug"},
        headers=workspace.headers("agent"),
    )
    assert response.status_code == 200, response.text
    for case_id, cause in zip(
        [*plain, escalated], ["config", "config", "outage", "outage"], strict=True
    ):
        assert _patch(workspace, case_id, {"status": "resolved", "root_cause": cause}).status_code
    summary = kpis(workspace)
    assert summary["root_causes"] == {
        "config": {"cases": 2, "escalated": 0},
        "outage": {"cases": 2, "escalated": 1},
    }
