"""Root causes: a policy that lists codes, and cases escalated and resolved with one."""

from __future__ import annotations

from typing import Any

from escalon.demo import policy_text
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace

CAUSES = """
root_causes:
  product_bug: Defect in the product
  billing_error: {label: Billing error}
  missing_docs: {}
"""


def use_cause_policy(ws: Workspace) -> None:
    """Activate the example policy, as version 2, with three root-cause codes."""
    uploaded = ws.client.post(
        "/api/v1/policies",
        json={
            "source": policy_text().replace("\nversion: 1\n", "\nversion: 2\n") + CAUSES,
            "filename": "causes.yaml",
            "activate": True,
        },
        headers=ws.headers(),
    )
    assert uploaded.status_code == 201, uploaded.text


def escalated_case(ws: Workspace, **fields: Any) -> int:
    """A case opened (with `fields`) and escalated to the specialists."""
    case_id = int(open_case(ws, **fields)["id"])
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/escalations",
        json={"kind": "hierarchical", "to_level": "specialist", "reason": "bug"},
        headers=ws.headers("agent"),
    )
    assert response.status_code == 200, response.text
    return case_id


def patch_case(ws: Workspace, case_id: int, body: dict[str, Any]) -> Any:
    """PATCH the case as the agent, at its current version."""
    version = ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers()).json()["version"]
    return ws.client.patch(
        f"/api/v1/cases/{case_id}",
        json=body,
        headers=ws.headers("agent", **{"If-Match": f'"{version}"'}),
    )


def resolve_with(
    ws: Workspace, case_id: int, code: str | None = None, words: str | None = None
) -> None:
    """Resolve the case naming a cause (it must succeed)."""
    body: dict[str, Any] = {"status": "resolved"}
    if code is not None:
        body["root_cause_code"] = code
    if words is not None:
        body["root_cause"] = words
    response = patch_case(ws, case_id, body)
    assert response.status_code == 200, response.text
