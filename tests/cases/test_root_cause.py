"""Resolving with a root cause: stored on the case, in its audit trail and counted in the KPIs."""

from __future__ import annotations

from typing import Any

from tests.builders.cases import kpis, open_case
from tests.builders.causes import escalated_case, use_cause_policy
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


def test_with_codes_an_escalated_case_is_resolved_with_one_of_them(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    case_id = escalated_case(workspace)
    refused = _patch(workspace, case_id, {"status": "resolved"})
    assert refused.status_code == 422
    assert "product_bug, billing_error, missing_docs, or 'other'" in refused.text
    unknown = _patch(workspace, case_id, {"status": "resolved", "root_cause_code": "billing"})
    assert unknown.status_code == 422
    assert "unknown root cause code 'billing' (did you mean 'billing_error'?)" in unknown.text
    resolved = _patch(
        workspace, case_id, {"status": "resolved", "root_cause_code": "billing_error"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["root_cause_code"], resolved.json()["root_cause"]) == (
        "billing_error",
        "Billing error",
    )
    assert (
        "case.root_cause",
        {"root_cause": "Billing error", "root_cause_code": "billing_error"},
    ) in _audit_kinds(workspace, case_id)


def test_other_takes_the_persons_words_and_words_alone_are_other(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    first, second = escalated_case(workspace), escalated_case(workspace)
    wordless = _patch(workspace, first, {"status": "resolved", "root_cause_code": "other"})
    assert wordless.status_code == 422
    assert "'other' needs the cause in words" in wordless.text
    other = _patch(
        workspace,
        first,
        {"status": "resolved", "root_cause_code": "other", "root_cause": "courier strike"},
    )
    assert (other.json()["root_cause_code"], other.json()["root_cause"]) == (
        "other",
        "courier strike",
    )
    words = _patch(workspace, second, {"status": "resolved", "root_cause": "courier strike"})
    assert words.json()["root_cause_code"] == "other"


def test_a_case_never_escalated_may_be_resolved_without_a_cause(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    case_id = int(open_case(workspace)["id"])
    assert _patch(workspace, case_id, {"status": "resolved"}).status_code == 200


def test_without_codes_in_the_policy_a_code_is_refused(workspace: Workspace) -> None:
    case_id = escalated_case(workspace)
    response = _patch(workspace, case_id, {"status": "resolved", "root_cause_code": "product_bug"})
    assert response.status_code == 422
    assert "lists no root-cause codes" in response.text


def test_the_case_list_finds_cases_by_cause_and_resolution_time(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    bug, docs, words = (escalated_case(workspace) for _ in range(3))
    _patch(workspace, bug, {"status": "resolved", "root_cause_code": "product_bug"})
    _patch(workspace, words, {"status": "resolved", "root_cause": "courier strike"})
    workspace.clock.advance(minutes=1)
    middle = workspace.clock.now().isoformat()
    workspace.clock.advance(minutes=1)
    _patch(workspace, docs, {"status": "resolved", "root_cause_code": "missing_docs"})

    def found(query: str) -> list[int]:
        response = workspace.client.get(f"/api/v1/cases?{query}", headers=workspace.headers())
        assert response.status_code == 200, response.text
        return sorted(case["id"] for case in response.json()["items"])

    assert found("root_cause=product_bug&root_cause=missing_docs") == sorted([bug, docs])
    assert found("root_cause=other") == [words]
    stamp = middle.replace("+", "%2B")
    assert found(f"resolved_after={stamp}") == [docs]
    assert found(f"resolved_before={stamp}") == sorted([bug, words])
