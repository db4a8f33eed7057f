"""The case API on SQLite and PostgreSQL: creating, reading, changing and escalating cases."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text

from escalon.cases.models import AuditEntry, Case, Escalation
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import render_body
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace


def test_a_new_case_is_opened_under_the_active_policy_with_its_clocks(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/cases",
        json={
            "customer": {"ref": "K-1", "tier": "enterprise"},
            "subject": "Down",
            "body": "x",
            "channel": "email",
            "impact": "high",
            "urgency": "medium",
        },
        headers=workspace.headers("integration"),
    )
    assert response.status_code == 201
    case = response.json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert case["priority"] == "P2"  # from the impact x urgency matrix
    assert case["level"] == "frontline"
    assert case["team"] == "frontline"
    assert case["policy"] == {"id": workspace.policy_id, "name": "acme-support", "version": "1"}
    sla = workspace.client.get(
        f"/api/v1/cases/{case['id']}/sla", headers=workspace.headers()
    ).json()
    assert sla["sla"] == "enterprise"
    first = next(clock for clock in sla["clocks"] if clock["metric"] == "first_response")
    # Monday 10:00 Berlin + 1 business hour.
    assert first["due_at"] == "2026-11-30T11:00:00+01:00"
    assert first["remaining_seconds"] == 3600
    assert first["running"]
    assert not first["paused"]


def test_a_retried_create_with_the_same_idempotency_key_returns_the_same_case(
    workspace: Workspace,
) -> None:
    body = {"customer": {"ref": "K-9"}, "subject": "Retry me"}
    headers = workspace.headers("integration", **{"Idempotency-Key": "req-42"})
    first = workspace.client.post("/api/v1/cases", json=body, headers=headers)
    again = workspace.client.post("/api/v1/cases", json=body, headers=headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(workspace: Workspace) -> None:
    headers = workspace.headers("integration", **{"Idempotency-Key": "req-43"})
    workspace.client.post("/api/v1/cases", json={"customer": {"ref": "A"}}, headers=headers)
    response = workspace.client.post(
        "/api/v1/cases", json={"customer": {"ref": "B"}}, headers=headers
    )
    assert response.status_code == 422
    assert "different request" in response.json()["message"]


def test_unknown_names_in_a_case_are_refused_with_the_known_ones(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/cases",
        json={"customer": {"ref": "K"}, "priority": "P9"},
        headers=workspace.headers(),
    )
    assert response.status_code == 422
    assert (
        response.json()["message"]
        == "unknown priority 'P9' (the policy's priorities: P1, P2, P3, P4)"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "no customer"}, "body"),
        ({"customer": {"ref": "K"}, "surprise": 1}, "body.surprise"),
        ({"customer": {"ref": "K", "email": "not-an-address"}}, "body.customer.email"),
        ({"customer_id": "abc"}, "body.customer_id"),
    ],
)
def test_malformed_case_requests_name_the_field(
    workspace: Workspace, body: dict[str, Any], field: str
) -> None:
    response = workspace.client.post("/api/v1/cases", json=body, headers=workspace.headers())
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "invalid"
    assert field in [detail["field"] for detail in payload["details"]]


def test_a_body_that_is_not_json_is_a_clear_422(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/cases",
        content=b"{not json",
        headers=workspace.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_requests_without_a_valid_token_get_401_with_a_reason(workspace: Workspace) -> None:
    missing = workspace.client.get("/api/v1/cases")
    wrong = workspace.client.get("/api/v1/cases", headers={"Authorization": "Bearer esc_nope"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["message"]
    assert wrong.json()["message"] == "unknown API token"


def test_a_revoked_token_stops_working(workspace: Workspace) -> None:
    tokens = workspace.client.get("/api/v1/tokens", headers=workspace.headers("agent")).json()
    workspace.client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=workspace.headers("agent"))
    response = workspace.client.get("/api/v1/cases", headers=workspace.headers("agent"))
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("agent", "post", "/api/v1/policies", {"source": "x"}),
        ("integration", "post", "/api/v1/teams", {"name": "x"}),
        ("supervisor", "get", "/api/v1/users", None),
        ("agent", "get", "/api/v1/outbox", None),
        (
            "integration",
            "post",
            "/api/v1/cases/1/escalations",
            {"kind": "hierarchical", "to_level": "supervisor", "reason": "x"},
        ),
        ("agent", "post", "/api/v1/cases/1/de-escalation", {"to_level": "frontline", "note": "x"}),
    ],
)
def test_roles_are_checked_on_every_endpoint(
    workspace: Workspace, role: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    open_case(workspace)
    response = workspace.client.request(method, path, json=body, headers=workspace.headers(role))
    assert response.status_code == 403
    assert f"role '{role}' may not do this" in response.json()["message"]


def test_an_update_without_if_match_is_refused_with_428(workspace: Workspace) -> None:
    case = open_case(workspace)
    response = workspace.client.patch(
        f"/api/v1/cases/{case['id']}", json={"priority": "P1"}, headers=workspace.headers("agent")
    )
    assert response.status_code == 428


def test_a_stale_update_gets_412_and_changes_nothing(workspace: Workspace) -> None:
    case = open_case(workspace)
    url = f"/api/v1/cases/{case['id']}"
    first = workspace.client.patch(
        url, json={"priority": "P2"}, headers=workspace.headers("agent", **{"If-Match": '"1"'})
    )
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    stale = workspace.client.patch(
        url, json={"priority": "P4"}, headers=workspace.headers("agent", **{"If-Match": '"1"'})
    )
    assert stale.status_code == 412
    assert workspace.client.get(url, headers=workspace.headers()).json()["priority"] == "P2"


def test_a_customer_asking_for_a_manager_is_escalated_and_told(workspace: Workspace) -> None:
    case = open_case(workspace)
    response = workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "customer", "body": "This is useless, I want to speak to a manager."},
        headers=workspace.headers("integration"),
    )
    assert response.status_code == 201
    after = workspace.client.get(f"/api/v1/cases/{case['id']}", headers=workspace.headers()).json()
    assert after["level"] == "supervisor"
    assert after["awaiting_acknowledgement"]
    escalations = workspace.client.get(
        f"/api/v1/cases/{case['id']}/escalations", headers=workspace.headers()
    ).json()
    assert [(e["rule"], e["to_level"]) for e in escalations] == [
        ("customer asks for a manager", "supervisor")
    ]
    with workspace.database.read() as session:
        notice = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "notify_customer")
        ).one()
    assert notice.address == "kim@example.org"
    assert "now handled by our supervisors team" in render_body(notice.payload)


def test_an_agent_reply_meets_the_first_response(workspace: Workspace) -> None:
    case = open_case(workspace)
    workspace.clock.advance(minutes=20)
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "agent", "body": "On it."},
        headers=workspace.headers("agent"),
    )
    sla = workspace.client.get(
        f"/api/v1/cases/{case['id']}/sla", headers=workspace.headers()
    ).json()
    first = next(clock for clock in sla["clocks"] if clock["metric"] == "first_response")
    assert not first["running"]
    assert not first["breached"]
    assert first["counted_seconds"] == 20 * 60


def test_an_internal_note_does_not_answer_the_customer(workspace: Workspace) -> None:
    case = open_case(workspace)
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "agent", "body": "Customer seems upset", "public": False},
        headers=workspace.headers("agent"),
    )
    sla = workspace.client.get(
        f"/api/v1/cases/{case['id']}/sla", headers=workspace.headers()
    ).json()
    assert next(c for c in sla["clocks"] if c["metric"] == "first_response")["running"]
    public = workspace.client.get(
        f"/api/v1/cases/{case['id']}/messages?public_only=true", headers=workspace.headers()
    ).json()
    assert [m["body"] for m in public] == ["The printer is on fire."]


def test_manual_escalations_hierarchical_and_functional(workspace: Workspace) -> None:
    case = open_case(workspace)
    url = f"/api/v1/cases/{case['id']}/escalations"
    up = workspace.client.post(
        url,
        json={"kind": "hierarchical", "to_level": "specialist", "reason": "needs a DB fix"},
        headers=workspace.headers("agent"),
    )
    assert up.status_code == 200
    assert up.json()["level"] == "specialist"
    across = workspace.client.post(
        url,
        json={"kind": "functional", "to_team": "finance", "reason": "refund question"},
        headers=workspace.headers("agent"),
    )
    assert across.status_code == 200
    assert across.json()["team"] == "finance"
    assert across.json()["level"] == "specialist"
    records = workspace.client.get(url, headers=workspace.headers()).json()
    assert [(r["kind"], r["actor"], r["reason"]) for r in records] == [
        ("hierarchical", "ana", "needs a DB fix"),
        ("functional", "ana", "refund question"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"kind": "hierarchical", "to_level": "frontline", "reason": "x"}, 409, "not above it"),
        ({"kind": "hierarchical", "to_level": "boss", "reason": "x"}, 422, "unknown level 'boss'"),
        ({"kind": "functional", "to_team": "nowhere", "reason": "x"}, 422, "unknown team"),
        ({"kind": "functional", "to_level": "supervisor", "reason": "x"}, 422, "to_team"),
        ({"kind": "hierarchical", "to_level": "supervisor", "reason": " "}, 422, "reason"),
    ],
)
def test_impossible_escalations_are_refused(
    workspace: Workspace, body: dict[str, Any], status: int, words: str
) -> None:
    case = open_case(workspace)
    response = workspace.client.post(
        f"/api/v1/cases/{case['id']}/escalations", json=body, headers=workspace.headers("agent")
    )
    assert response.status_code == status
    assert words in response.text


def test_acknowledging_records_who_and_when(workspace: Workspace) -> None:
    case = open_case(workspace)
    case_url = f"/api/v1/cases/{case['id']}"
    nothing = workspace.client.post(
        f"{case_url}/acknowledgement", headers=workspace.headers("supervisor")
    )
    assert nothing.status_code == 409
    workspace.client.post(
        f"{case_url}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "angry"},
        headers=workspace.headers("agent"),
    )
    workspace.clock.advance(minutes=7)
    response = workspace.client.post(
        f"{case_url}/acknowledgement", headers=workspace.headers("supervisor")
    )
    assert response.status_code == 200
    assert not response.json()["awaiting_acknowledgement"]
    record = workspace.client.get(f"{case_url}/escalations", headers=workspace.headers()).json()[0]
    assert record["acknowledged_by"] == "sara"
    assert record["acknowledged_at"] == "2026-11-30T09:07:00Z"


def test_a_supervisor_de_escalates_with_a_hand_over_note(workspace: Workspace) -> None:
    case = open_case(workspace)
    case_url = f"/api/v1/cases/{case['id']}"
    workspace.client.post(
        f"{case_url}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "angry"},
        headers=workspace.headers("agent"),
    )
    response = workspace.client.post(
        f"{case_url}/de-escalation",
        json={"to_level": "frontline", "note": "Calmed down; refund done, just confirm delivery."},
        headers=workspace.headers("supervisor"),
    )
    assert response.status_code == 200
    assert response.json()["level"] == "frontline"
    notes = workspace.client.get(f"{case_url}/messages", headers=workspace.headers()).json()
    assert notes[-1]["public"] is False
    assert notes[-1]["author"] == "sara"
    assert notes[-1]["body"].startswith("Calmed down")
    kinds = [
        e["kind"]
        for e in workspace.client.get(f"{case_url}/audit", headers=workspace.headers()).json()[
            "items"
        ]
    ]
    assert kinds[-2:] == ["case.de-escalated", "de-escalate"]
    sla = workspace.client.get(f"{case_url}/sla", headers=workspace.headers()).json()
    assert next(c for c in sla["clocks"] if c["metric"] == "resolution")["running"]


def test_a_resolved_case_is_neither_escalated_nor_asked_for_approval_until_reopened(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    url = f"/api/v1/cases/{case['id']}"
    resolved = workspace.client.patch(
        url, json={"status": "resolved"}, headers=workspace.headers("agent", **{"If-Match": '"1"'})
    )
    assert resolved.status_code == 200, resolved.text
    up = workspace.client.post(
        f"{url}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "still angry"},
        headers=workspace.headers("agent"),
    )
    assert up.status_code == 409
    assert "is resolved: reopen it before you escalate it" in up.text
    asked = workspace.client.post(
        f"{url}/approvals",
        json={"kind": "refund", "amount": 40, "note": "goodwill"},
        headers=workspace.headers("agent"),
    )
    assert asked.status_code == 409
    assert "reopen it before you ask for an approval" in asked.text
    version = resolved.json()["version"]
    reopened = workspace.client.patch(
        url,
        json={"status": "open"},
        headers=workspace.headers("agent", **{"If-Match": f'"{version}"'}),
    )
    assert reopened.status_code == 200, reopened.text
    again = workspace.client.post(
        f"{url}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "still angry"},
        headers=workspace.headers("agent"),
    )
    assert again.status_code == 200, again.text


def test_an_approval_within_authority_is_granted_at_once(workspace: Workspace) -> None:
    case = open_case(workspace)
    response = workspace.client.post(
        f"/api/v1/cases/{case['id']}/approvals",
        json={"kind": "refund", "amount": 40, "note": "late delivery"},
        headers=workspace.headers("agent"),
    )
    assert response.status_code == 201
    assert response.json()["status"] == "granted"
    assert response.json()["decided_by"] == "ana"


def test_an_approval_above_authority_climbs_to_the_level_that_may_grant_it(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    response = workspace.client.post(
        f"/api/v1/cases/{case['id']}/approvals",
        json={"kind": "refund", "amount": 300},
        headers=workspace.headers("agent"),
    )
    approval = response.json()
    assert approval["status"] == "pending"
    assert approval["level"] == "frontline"
    moved = workspace.client.get(f"/api/v1/cases/{case['id']}", headers=workspace.headers()).json()
    assert moved["level"] == "supervisor"  # refund 500 covers 300
    decided = workspace.client.post(
        f"/api/v1/approvals/{approval['id']}/decision",
        json={"decision": "approve", "note": "ok"},
        headers=workspace.headers("supervisor"),
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    again = workspace.client.post(
        f"/api/v1/approvals/{approval['id']}/decision",
        json={"decision": "reject"},
        headers=workspace.headers("supervisor"),
    )
    assert again.status_code == 409


def test_approving_needs_an_authority_of_ones_own_not_the_case_levels(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    approval = workspace.client.post(
        f"/api/v1/cases/{case['id']}/approvals",
        json={"kind": "refund", "amount": 300},
        headers=workspace.headers("agent"),
    ).json()
    # The admin is no agent: whatever level the case is at, they may approve nothing.
    response = workspace.client.post(
        f"/api/v1/approvals/{approval['id']}/decision",
        json={"decision": "approve"},
        headers=workspace.headers("admin"),
    )
    assert response.status_code == 403
    message = response.json()["message"]
    assert "not linked to an agent" in message
    assert "it needs the authority of level 'supervisor' or above (who may: sara)" in message


def test_a_supervisor_approves_by_their_own_levels_authority(workspace: Workspace) -> None:
    case = open_case(workspace)
    approval = workspace.client.post(
        f"/api/v1/cases/{case['id']}/approvals",
        json={"kind": "refund", "amount": 300},
        headers=workspace.headers("agent"),
    ).json()
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/de-escalation",
        json={"to_level": "frontline", "note": "back to you"},
        headers=workspace.headers("supervisor"),
    )
    response = workspace.client.post(
        f"/api/v1/approvals/{approval['id']}/decision",
        json={"decision": "approve"},
        headers=workspace.headers("supervisor"),
    )
    assert response.status_code == 200
    assert response.json()["decided_by"] == "sara"


def test_a_survey_answer_needs_a_resolved_case_and_feeds_csat(workspace: Workspace) -> None:
    case = open_case(workspace)
    url = f"/api/v1/cases/{case['id']}"
    early = workspace.client.post(
        f"{url}/survey", json={"score": 5}, headers=workspace.headers("integration")
    )
    assert early.status_code == 409
    workspace.client.patch(
        url, json={"status": "resolved"}, headers=workspace.headers("agent", **{"If-Match": '"1"'})
    )
    answered = workspace.client.post(
        f"{url}/survey",
        json={"score": 2, "comment": "slow"},
        headers=workspace.headers("integration"),
    )
    assert answered.status_code == 200
    kpis = workspace.client.get("/api/v1/kpis", headers=workspace.headers()).json()
    assert kpis["csat"]["other"] == {"responses": 1, "mean": 2.0}


def test_the_audit_trail_lists_every_change_and_cannot_be_rewritten(workspace: Workspace) -> None:
    case = open_case(workspace)
    url = f"/api/v1/cases/{case['id']}"
    workspace.client.post(
        f"{url}/messages",
        json={"author": "customer", "body": "I want to speak to a manager!"},
        headers=workspace.headers("integration"),
    )
    workspace.client.put(
        f"{url}/assignee", json={"assignee": "sara"}, headers=workspace.headers("supervisor")
    )
    trail = workspace.client.get(f"{url}/audit", headers=workspace.headers()).json()["items"]
    kinds = [entry["kind"] for entry in trail]
    assert kinds == [
        "case.opened",
        "customer.message",
        "escalate",
        "notify_customer",
        "case.assigned",
    ]
    assert trail[2]["rule"] == "customer asks for a manager"
    assert trail[2]["actor"] == "escalon"
    assert trail[4]["data"] == {"from": None, "to": "sara"}
    assert trail[4]["actor"] == "sara"
    with pytest.raises(Exception, match="append-only"), workspace.database.write() as session:
        session.execute(text("UPDATE audit_entries SET actor = 'mallory'"))
    with pytest.raises(Exception, match="append-only"), workspace.database.write() as session:
        session.execute(text("DELETE FROM audit_entries"))
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == len(trail)


def test_listing_pages_through_every_case_once(workspace: Workspace) -> None:
    ids = [open_case(workspace, subject=f"case {n}")["id"] for n in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = workspace.client.get(
            "/api/v1/cases", params=params, headers=workspace.headers()
        ).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


def test_listing_filters_and_sorts_by_due(workspace: Workspace) -> None:
    slow = open_case(workspace, priority="P3")
    urgent = open_case(workspace, priority="P1")
    workspace.client.post(
        f"/api/v1/cases/{slow['id']}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "x"},
        headers=workspace.headers("agent"),
    )
    due = workspace.client.get("/api/v1/cases?sort=due", headers=workspace.headers()).json()
    assert [item["id"] for item in due["items"]] == [urgent["id"], slow["id"]]
    escalated = workspace.client.get(
        "/api/v1/cases",
        params={"escalated": "true", "level": "supervisor"},
        headers=workspace.headers(),
    ).json()
    assert [item["id"] for item in escalated["items"]] == [slow["id"]]
    bad = workspace.client.get("/api/v1/cases?cursor=nonsense", headers=workspace.headers())
    assert bad.status_code == 400


def test_unknown_things_are_404_with_a_json_body(workspace: Workspace) -> None:
    for path in ("/api/v1/cases/999", "/api/v1/cases/999/sla", "/api/v1/nothing-here"):
        response = workspace.client.get(path, headers=workspace.headers())
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_escalation_rows_carry_the_engines_firing_key(workspace: Workspace) -> None:
    case = open_case(workspace)
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "customer", "body": "Get me your manager."},
        headers=workspace.headers("integration"),
    )
    with workspace.database.read() as session:
        key = session.scalars(select(Escalation.firing_key)).one()
    assert key == f"{case['id']}|customer asks for a manager|customer.message|event#2|0"


def test_concurrent_creates_with_one_idempotency_key_make_one_case(workspace: Workspace) -> None:
    body = {"customer": {"ref": "K-race"}, "subject": "Double click"}
    headers = workspace.headers("integration", **{"Idempotency-Key": "race-1"})
    barrier = threading.Barrier(6)
    answers: list[tuple[int, int]] = []

    def create() -> None:
        barrier.wait()
        response = workspace.client.post("/api/v1/cases", json=body, headers=headers)
        answers.append((response.status_code, response.json()["id"]))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({case_id for _status, case_id in answers}) == 1
    assert sorted(status for status, _id in answers) == [200] * 5 + [201]
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_nul_character_in_a_new_cases_text_is_refused_or_kept_never_a_500(
    workspace: Workspace,
) -> None:
    response = workspace.client.post(
        "/api/v1/cases",
        json={"customer": {"ref": "K-9"}, "subject": "x", "body": "a\u0000b", "channel": "email"},
        headers=workspace.headers("integration"),
    )
    # PostgreSQL cannot store NUL: a clear 422 there; SQLite keeps the text as sent.
    if workspace.database.is_sqlite:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 422, response.text
        assert "NUL character" in response.json()["message"]
