"""Cases opened and read back through the API of a seeded workspace."""

from __future__ import annotations

from typing import Any

from tests.builders.workspace import Workspace


def open_case(ws: Workspace, role: str = "integration", **fields: Any) -> dict[str, Any]:
    """Open a case through the API and return its body."""
    body = {
        "customer": {"ref": "K-1", "name": "Kim", "email": "kim@example.org", "tier": "standard"},
        "subject": "Printer on fire",
        "body": "The printer is on fire.",
        "channel": "email",
        **fields,
    }
    response = ws.client.post("/api/v1/cases", json=body, headers=ws.headers(role))
    assert response.status_code == 201, response.text
    return dict(response.json())


def read(ws: Workspace, path: str) -> Any:
    """The admin's answer to a GET of `path` under /api/v1 (it must succeed)."""
    response = ws.client.get(f"/api/v1{path}", headers=ws.headers())
    assert response.status_code == 200, response.text
    return response.json()


def cases(ws: Workspace) -> list[dict[str, Any]]:
    """Every case, oldest first."""
    response = ws.client.get("/api/v1/cases?sort=opened", headers=ws.headers())
    assert response.status_code == 200
    return list(response.json()["items"])


def messages(ws: Workspace, case_id: int) -> list[dict[str, Any]]:
    """A case's messages."""
    response = ws.client.get(f"/api/v1/cases/{case_id}/messages", headers=ws.headers())
    assert response.status_code == 200
    return list(response.json())


def kpis(ws: Workspace, **params: str) -> dict[str, Any]:
    """The KPI summary as the API gives it."""
    response = ws.client.get("/api/v1/kpis", params=params, headers=ws.headers("supervisor"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def set_status(ws: Workspace, case_id: int, status: str, role: str = "agent") -> None:
    """Change the case's status through the API (as an agent by default)."""
    url = f"/api/v1/cases/{case_id}"
    version = ws.client.get(url, headers=ws.headers()).headers["ETag"]
    response = ws.client.patch(
        url, json={"status": status}, headers=ws.headers(role, **{"If-Match": version})
    )
    assert response.status_code == 200, response.text
