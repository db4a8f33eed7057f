"""Changing a known customer's address or tier is a supervisor's act, and it is audited. Intake
(the API's integrations, chat, phone, the web form) that names a known customer with other data
keeps the stored values and says so in the case's audit trail: otherwise a stranger could send a
customer's replies to their own address. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders.cases import open_case
from tests.builders.workspace import Workspace

KIM = {"ref": "K-1", "name": "Kim", "email": "kim@example.org", "tier": "standard"}
ATTACKER = {"ref": "K-1", "name": "Kim", "email": "attacker@evil.example", "tier": "enterprise"}


def _customer(ws: Workspace) -> dict[str, Any]:
    found = ws.client.get("/api/v1/customers", params={"ref": "K-1"}, headers=ws.headers())
    return dict(found.json()[0])


def _entries(ws: Workspace, case_id: int, kind: str) -> list[dict[str, Any]]:
    audit = ws.client.get(f"/api/v1/cases/{case_id}/audit", headers=ws.headers()).json()
    return [entry for entry in audit["items"] if entry["kind"] == kind]


@pytest.mark.parametrize("role", ["integration", "agent"])
def test_only_supervisors_patch_a_customer(workspace: Workspace, role: str) -> None:
    customer_id = open_case(workspace, customer=KIM)["customer"]["id"]
    refused = workspace.client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"email": "attacker@evil.example"},
        headers=workspace.headers(role),
    )
    assert refused.status_code == 403
    assert _customer(workspace)["email"] == "kim@example.org"


def test_a_supervisors_change_of_a_customer_is_in_the_admin_audit(workspace: Workspace) -> None:
    customer_id = open_case(workspace, customer=KIM)["customer"]["id"]
    changed = workspace.client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"email": "kim@new.example", "tier": "enterprise"},
        headers=workspace.headers("supervisor"),
    )
    assert changed.status_code == 200
    assert (changed.json()["email"], changed.json()["tier"]) == ("kim@new.example", "enterprise")
    entries = workspace.client.get(
        "/api/v1/admin/audit", params={"subject": "customer"}, headers=workspace.headers()
    ).json()["entries"]
    assert [(e["action"], e["target"], e["actor"]) for e in entries] == [
        ("customer.updated", "customer:K-1", "supervisor")
    ]
    assert entries[0]["data"]["email"] == ["kim@example.org", "kim@new.example"]


def test_a_case_opened_with_another_address_keeps_the_stored_one_and_says_so(
    workspace: Workspace,
) -> None:
    open_case(workspace, customer=KIM)
    case = open_case(workspace, customer=ATTACKER)  # an integration, as anyone's intake
    stored = _customer(workspace)
    assert (stored["email"], stored["tier"]) == ("kim@example.org", "standard")
    assert case["tier"] == "standard"  # the case too is measured by the stored tier
    [entry] = _entries(workspace, case["id"], "customer.differs")
    assert entry["data"] == {
        "email": {"kept": "kim@example.org", "given": "attacker@evil.example"},
        "tier": {"kept": "standard", "given": "enterprise"},
    }
    assert entry["actor"] == "integration"


def test_a_chat_naming_a_known_customer_with_another_address_keeps_the_stored_one(
    workspace: Workspace,
) -> None:
    open_case(workspace, customer=KIM)
    chat = workspace.client.post(
        "/api/v1/chat/messages",
        json={
            "conversation": "conv-1",
            "author": "customer",
            "text": "Please send my invoice here",
            "customer": ATTACKER,
        },
        headers=workspace.headers("integration"),
    )
    assert chat.status_code == 201, chat.text
    assert _customer(workspace)["email"] == "kim@example.org"
    assert _entries(workspace, chat.json()["case_id"], "customer.differs")


def test_a_call_logged_by_an_agent_does_not_change_the_customer(workspace: Workspace) -> None:
    open_case(workspace, customer=KIM)
    call = workspace.client.post(
        "/api/v1/calls",
        json={
            "customer": {"ref": "K-1", "tier": "enterprise"},
            "subject": "Upgrade?",
            "notes": "Asked about the enterprise plan.",
        },
        headers=workspace.headers("agent"),
    )
    assert call.status_code == 201, call.text
    assert _customer(workspace)["tier"] == "standard"


def test_a_supervisor_opening_a_case_may_update_the_customer_and_the_case_says_so(
    workspace: Workspace,
) -> None:
    open_case(workspace, customer=KIM)
    case = open_case(
        workspace, role="supervisor", customer={"ref": "K-1", "email": "kim@new.example"}
    )
    assert _customer(workspace)["email"] == "kim@new.example"
    [entry] = _entries(workspace, case["id"], "customer.updated")
    assert entry["data"] == {"email": {"from": "kim@example.org", "to": "kim@new.example"}}
    assert entry["actor"] == "sara"


def test_the_contact_form_never_changes_a_known_customer(workspace: Workspace) -> None:
    open_case(workspace, customer={**KIM, "ref": "kim@example.org"})
    posted = workspace.client.post(
        "/api/v1/forms/contact",
        json={"email": "kim@example.org", "name": "Not Kim", "message": "Refund to me please"},
    )
    assert posted.status_code == 202, posted.text
    found = workspace.client.get(
        "/api/v1/customers", params={"ref": "kim@example.org"}, headers=workspace.headers()
    ).json()[0]
    assert found["name"] == "Kim"
