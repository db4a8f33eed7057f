"""Hole 1: an agent could approve an unlimited refund for itself. Authority now belongs to the
person (their own limit, else the level they staff), never to the level the case is at; nobody
decides a request they made; a request above the requester's authority waits for someone whose
authority covers it, and the audit says who decided and by which authority. SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select, text

from escalon.auth import service as auth
from escalon.auth.models import User
from escalon.cases import acting, approvals
from escalon.cases.schemas import ApprovalDecisionIn
from escalon.database import Database
from escalon.errors import Conflict
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace


def _user(ws: Workspace, username: str, role: str, agent: str | None = None) -> dict[str, str]:
    """Headers of a new user of `role`, linked to the agent `agent` when given."""
    with ws.database.write() as session:
        user = auth.create_user(
            session, username=username, role=role, now=ws.clock.now_us(), agent=agent
        )
        _record, token = auth.create_token(session, user=user, now=ws.clock.now_us())
    return {"Authorization": f"Bearer {token}"}


def _ask(ws: Workspace, case_id: int, amount: float, headers: dict[str, str]) -> Any:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/approvals",
        json={"kind": "refund", "amount": amount, "note": "goodwill"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _decide(ws: Workspace, approval_id: int, decision: str, headers: dict[str, str]) -> Any:
    return ws.client.post(
        f"/api/v1/approvals/{approval_id}/decision", json={"decision": decision}, headers=headers
    )


def _case(ws: Workspace, case_id: int) -> Any:
    return ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers()).json()


def _audit(ws: Workspace, case_id: int, kind: str) -> list[dict[str, Any]]:
    items = ws.client.get(f"/api/v1/cases/{case_id}/audit", headers=ws.headers()).json()["items"]
    return [entry for entry in items if entry["kind"] == kind]


# -- the attacks ---------------------------------------------------------------------------------


def test_an_agents_request_that_escalates_the_case_gives_its_next_request_no_authority(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    first = _ask(workspace, case["id"], 300, workspace.headers("agent"))
    assert first["status"] == "pending"
    # The policy's approval.requested rule took the case to the supervisors (500)...
    assert _case(workspace, case["id"])["level"] == "supervisor"
    # ...which must not make ana (frontline, 50) able to grant the same refund herself.
    again = _ask(workspace, case["id"], 300, workspace.headers("agent"))
    assert again["status"] == "pending"
    assert again["decided_by"] is None


def test_escalating_by_hand_first_gives_the_agent_no_authority(workspace: Workspace) -> None:
    case = open_case(workspace)
    moved = workspace.client.post(
        f"/api/v1/cases/{case['id']}/escalations",
        json={"kind": "hierarchical", "to_level": "management", "reason": "refund"},
        headers=workspace.headers("agent"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["level"] == "management"  # unlimited authority at this level
    asked = _ask(workspace, case["id"], 1_000_000, workspace.headers("agent"))
    assert asked["status"] == "pending"
    assert asked["requester_authority"] == {"amount": 50.0, "basis": "level 'frontline'"}


def test_a_supervisor_cannot_approve_their_own_request(workspace: Workspace) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 1000, workspace.headers("supervisor"))
    assert asked["status"] == "pending"  # sara's level grants 500
    raised = workspace.client.patch(
        "/api/v1/agents/sara", json={"authority": {"refund": 5000}}, headers=workspace.headers()
    )
    assert raised.status_code == 200
    decided = _decide(workspace, asked["id"], "approve", workspace.headers("supervisor"))
    assert decided.status_code == 403
    assert "you asked for it" in decided.json()["message"]
    assert _decide(
        workspace, asked["id"], "reject", workspace.headers("supervisor")
    ).status_code == (403)
    still = workspace.client.get(f"/api/v1/approvals/{asked['id']}", headers=workspace.headers())
    assert still.json()["status"] == "pending"


def test_a_user_linked_to_no_agent_grants_nothing_at_any_level(workspace: Workspace) -> None:
    case = open_case(workspace)
    small = _ask(workspace, case["id"], 10, workspace.headers("admin"))
    assert small["status"] == "pending"  # the frontline level's 50 is not the admin's
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/escalations",
        json={"kind": "hierarchical", "to_level": "management", "reason": "refund"},
        headers=workspace.headers("admin"),
    )
    big = _ask(workspace, case["id"], 1_000_000, workspace.headers("admin"))
    assert big["status"] == "pending"
    assert big["requester_authority"]["amount"] == 0


def test_a_user_linked_to_no_agent_cannot_approve(workspace: Workspace) -> None:
    case = open_case(workspace)
    pending = _ask(workspace, case["id"], 300, workspace.headers("agent"))
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/escalations",
        json={"kind": "hierarchical", "to_level": "management", "reason": "refund"},
        headers=workspace.headers("admin"),
    )
    decided = _decide(workspace, pending["id"], "approve", workspace.headers("admin"))
    assert decided.status_code == 403
    assert "not linked to an agent" in decided.json()["message"]


# -- who decides ---------------------------------------------------------------------------------


def test_a_decider_whose_authority_does_not_cover_the_amount_is_refused(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 2000, workspace.headers("agent"))
    decided = _decide(workspace, asked["id"], "approve", workspace.headers("supervisor"))
    assert decided.status_code == 403
    message = decided.json()["message"]
    assert "sara may decide up to 500 (level 'supervisor')" in message
    assert "level 'specialist'" in message
    rejected = _decide(workspace, asked["id"], "reject", workspace.headers("supervisor"))
    assert rejected.status_code == 403


def test_an_agent_role_cannot_decide_even_with_the_authority(workspace: Workspace) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 800, workspace.headers("agent"))
    omar = _user(workspace, "omar-agent", "agent", "omar")  # specialist: 5000, but role agent
    assert _decide(workspace, asked["id"], "approve", omar).status_code == 403


def test_a_request_within_the_requesters_own_level_is_granted_without_escalating(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)  # at frontline (50)
    granted = _ask(workspace, case["id"], 300, workspace.headers("supervisor"))
    assert granted["status"] == "granted"
    assert granted["decided_by"] == "sara"
    # above_authority compared the amount with sara's 500, not with the case level's 50.
    assert _case(workspace, case["id"])["level"] == "frontline"
    requested = _audit(workspace, case["id"], "approval.requested")[0]["data"]
    assert (requested["authority"], requested["basis"]) == (500, "level 'supervisor'")


def test_a_pending_request_says_what_authority_it_needs_and_which_level(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 2000, workspace.headers("agent"))
    assert asked["needs"] == {"amount": 2000.0, "level": "specialist"}
    assert asked["requested_by"] == "ana"
    assert asked["requester_authority"] == {"amount": 50.0, "basis": "level 'frontline'"}
    assert asked["decider_authority"] is None


def test_the_audit_names_who_decided_and_by_which_authority(workspace: Workspace) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 2000, workspace.headers("agent"))
    omar = _user(workspace, "omar", "supervisor", "omar")
    decided = _decide(workspace, asked["id"], "approve", omar)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["decided_by"]) == ("approved", "omar")
    assert body["decider_authority"] == {"amount": 5000.0, "basis": "level 'specialist'"}
    entry = _audit(workspace, case["id"], "approval.approved")[0]
    assert entry["actor"] == "omar"
    assert entry["data"]["by"] == "omar"
    assert entry["data"]["requested_by"] == "ana"
    assert (entry["data"]["authority"], entry["data"]["basis"]) == (5000, "level 'specialist'")


def test_an_unlimited_own_limit_is_recorded_as_unlimited(workspace: Workspace) -> None:
    workspace.client.patch(
        "/api/v1/agents/sara",
        json={"authority": {"refund": "unlimited"}},
        headers=workspace.headers(),
    )
    case = open_case(workspace)
    granted = _ask(workspace, case["id"], 90_000, workspace.headers("supervisor"))
    assert granted["status"] == "granted"
    assert granted["decider_authority"] == {"amount": "unlimited", "basis": "own limit"}
    entry = _audit(workspace, case["id"], "approval.granted")[0]["data"]
    assert (entry["authority"], entry["basis"], entry["by"]) == ("unlimited", "own limit", "sara")


def test_an_agent_of_no_level_takes_the_authority_of_the_highest_level_of_their_teams(
    workspace: Workspace,
) -> None:
    made = workspace.client.post(
        "/api/v1/agents",
        json={"handle": "kai", "name": "Kai", "teams": ["frontline", "specialists"]},
        headers=workspace.headers(),
    )
    assert made.status_code == 201, made.text
    kai = _user(workspace, "kai", "agent", "kai")
    case = open_case(workspace)
    granted = _ask(workspace, case["id"], 4000, kai)
    assert granted["status"] == "granted"
    assert granted["decider_authority"] == {"amount": 5000.0, "basis": "level 'specialist'"}


def test_the_requester_withdraws_their_pending_request_and_nobody_else_can(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 300, workspace.headers("agent"))
    url = f"/api/v1/approvals/{asked['id']}/withdrawal"
    assert workspace.client.post(url, headers=workspace.headers("supervisor")).status_code == 403
    withdrawn = workspace.client.post(url, headers=workspace.headers("agent"))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    late = _decide(workspace, asked["id"], "approve", workspace.headers("supervisor"))
    assert late.status_code == 409
    assert [e["data"]["by"] for e in _audit(workspace, case["id"], "approval.withdrawn")] == ["ana"]


def test_two_deciders_at_once_one_wins(workspace: Workspace) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 300, workspace.headers("agent"))
    deciders = [workspace.headers("supervisor"), _user(workspace, "omar", "supervisor", "omar")]
    start = threading.Barrier(2)
    answers: list[int] = []

    def decide(headers: dict[str, str], decision: str) -> None:
        start.wait(10)
        answers.append(_decide(workspace, asked["id"], decision, headers).status_code)

    threads = [
        threading.Thread(target=decide, args=(deciders[0], "approve")),
        threading.Thread(target=decide, args=(deciders[1], "reject")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    decisions = [
        e
        for e in workspace.client.get(
            f"/api/v1/cases/{case['id']}/audit", headers=workspace.headers()
        ).json()["items"]
        if e["kind"] in ("approval.approved", "approval.rejected")
    ]
    assert len(decisions) == 1


def _blocked_on_a_lock(database: Database) -> bool:
    """Whether some transaction waits for a row lock (PostgreSQL; SQLite queues whole writers)."""
    if database.engine.dialect.name != "postgresql":
        return True
    with database.engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_a_decision_waiting_on_anothers_transaction_finds_the_request_decided(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    asked = _ask(workspace, case["id"], 300, workspace.headers("agent"))
    _user(workspace, "omar", "supervisor", "omar")
    database, now = workspace.database, workspace.clock.now_us()
    with database.read() as session:
        ids: dict[str, int] = dict(session.execute(select(User.username, User.id)).all())
    sara = acting.Actor(ids["supervisor"], "sara", "supervisor", "sara")
    omar = acting.Actor(ids["omar"], "omar", "supervisor", "omar")
    first_decided, release_first, second_started = (threading.Event() for _ in range(3))
    outcome: dict[str, str] = {}

    def first() -> None:
        with database.write() as session:
            approvals.decide_approval(
                session,
                approval_id=asked["id"],
                request=ApprovalDecisionIn(decision="approve"),
                actor=sara,
                now=now,
            )
            first_decided.set()
            release_first.wait(30)
        outcome["first"] = "approved"

    def second() -> None:
        first_decided.wait(30)
        second_started.set()
        try:
            with database.write() as session:
                approvals.decide_approval(
                    session,
                    approval_id=asked["id"],
                    request=ApprovalDecisionIn(decision="reject"),
                    actor=omar,
                    now=now,
                )
            outcome["second"] = "rejected"
        except Conflict as refused:
            outcome["second"] = str(refused)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_started.wait(30)
    deadline = time.monotonic() + 30
    while not _blocked_on_a_lock(database):  # the second decision waits for the first's lock
        assert time.monotonic() < deadline, "the second decision never waited"
        time.sleep(0.01)
    release_first.set()
    for thread in threads:
        thread.join()
    assert outcome == {
        "first": "approved",
        "second": f"approval request {asked['id']} is already approved",
    }
    final = workspace.client.get(f"/api/v1/approvals/{asked['id']}", headers=workspace.headers())
    assert (final.json()["status"], final.json()["decided_by"]) == ("approved", "sara")


# -- raising one's own authority -------------------------------------------------------------


def test_an_admin_cannot_raise_the_authority_of_the_agent_they_act_as(
    workspace: Workspace,
) -> None:
    lead = _user(workspace, "mia", "admin", "mia")
    for change in (
        {"authority": {"refund": "unlimited"}},
        {"level": "management"},
        {"teams": ["management", "frontline"]},
    ):
        refused = workspace.client.patch("/api/v1/agents/mia", json=change, headers=lead)
        assert refused.status_code == 403, change
        assert "another admin" in refused.json()["message"]
    # Their own name or e-mail address is theirs to change; another admin changes the rest.
    assert (
        workspace.client.patch("/api/v1/agents/mia", json={"name": "Mia B."}, headers=lead)
    ).status_code == 200
    assert (
        workspace.client.patch(
            "/api/v1/agents/mia", json={"authority": {"refund": 10}}, headers=workspace.headers()
        )
    ).status_code == 200


def test_an_admin_cannot_raise_their_own_authority_with_a_roster(workspace: Workspace) -> None:
    lead = _user(workspace, "mia", "admin", "mia")
    roster = {"agents": [{"handle": "mia", "name": "Mia", "authority": {"refund": "unlimited"}}]}
    refused = workspace.client.post("/api/v1/roster", json=roster, headers=lead)
    assert refused.status_code == 403
    assert "another admin" in refused.json()["message"]
    other = workspace.client.post("/api/v1/roster", json=roster, headers=workspace.headers())
    assert other.status_code == 200, other.text
