"""Who sees which cases. With ESCALON_CASE_VISIBILITY=teams, staff see their teams' cases, the
cases at their level and the cases assigned to them, in every API endpoint and dashboard page; any
other case answers 404, as one that does not exist. The integration role reads what intake needs
and nothing more. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from escalon.auth import service as auth
from tests.builders.cases import open_case
from tests.builders.dashboard import csrf_of, sign_in
from tests.builders.workspace import Workspace


@dataclass
class Cases:
    """The cases of a test, by where they stand."""

    frontline: int  # at frontline, team frontline
    finance: int  # at frontline, routed to the finance team (nobody's here)
    supervisor: int  # escalated to the supervisor level, then routed to finance
    management: int  # escalated to management


def _move(ws: Workspace, case_id: int, body: dict[str, str]) -> None:
    moved = ws.client.post(f"/api/v1/cases/{case_id}/escalations", json=body, headers=ws.headers())
    assert moved.status_code == 200, moved.text


@pytest.fixture
def cases(workspace: Workspace) -> Cases:
    frontline = open_case(workspace)["id"]
    finance = open_case(workspace, subject="Invoice for the printer")["id"]
    _move(workspace, finance, {"kind": "functional", "to_team": "finance", "reason": "billing"})
    supervisor = open_case(workspace)["id"]
    _move(workspace, supervisor, {"kind": "hierarchical", "to_level": "supervisor", "reason": "x"})
    _move(workspace, supervisor, {"kind": "functional", "to_team": "finance", "reason": "refund"})
    management = open_case(workspace)["id"]
    _move(workspace, management, {"kind": "hierarchical", "to_level": "management", "reason": "x"})
    return Cases(frontline, finance, supervisor, management)


def _user(ws: Workspace, username: str, role: str, agent: str | None = None) -> dict[str, str]:
    with ws.database.write() as session:
        user = auth.create_user(
            session, username=username, role=role, now=ws.clock.now_us(), agent=agent
        )
        _record, token = auth.create_token(session, user=user, now=ws.clock.now_us())
    return {"Authorization": f"Bearer {token}"}


def _listed(client: TestClient, headers: dict[str, str], **params: Any) -> set[int]:
    response = client.get("/api/v1/cases", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {case["id"] for case in response.json()["items"]}


def _is_missing(response: Any, case_id: int) -> None:
    """The answer is the one a case that does not exist gets."""
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    assert str(case_id) in response.json()["message"]
    assert "not allowed" not in response.text
    assert "may not" not in response.text


# -- the API -------------------------------------------------------------------------------------


def test_all_is_the_default_and_every_staff_member_sees_every_case(
    workspace: Workspace, cases: Cases
) -> None:
    everything = {cases.frontline, cases.finance, cases.supervisor, cases.management}
    assert _listed(workspace.client, workspace.headers("agent")) == everything


def test_an_agent_sees_only_their_teams_cases(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    assert _listed(teams, workspace.headers("agent")) == {cases.frontline}
    assert _listed(teams, workspace.headers("agent"), q="invoice") == set()
    assert _listed(teams, workspace.headers("agent"), team="finance") == set()


def test_a_case_at_someones_level_is_theirs_to_see_whatever_its_team(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    # sara staffs the supervisor level: the case there is hers to see though it went to finance.
    assert _listed(teams, workspace.headers("supervisor")) == {cases.supervisor}


def test_a_case_assigned_to_someone_is_theirs_to_see(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    assigned = workspace.client.put(
        f"/api/v1/cases/{cases.finance}/assignee",
        json={"assignee": "ana"},
        headers=workspace.headers(),
    )
    assert assigned.status_code == 200
    assert _listed(teams, workspace.headers("agent")) == {cases.frontline, cases.finance}
    assert teams.get(
        f"/api/v1/cases/{cases.finance}", headers=workspace.headers("agent")
    ).is_success


def test_admins_and_integrations_see_every_case(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    everything = {cases.frontline, cases.finance, cases.supervisor, cases.management}
    assert _listed(teams, workspace.headers("admin")) == everything
    assert _listed(teams, workspace.headers("integration")) == everything


def test_a_supervisor_linked_to_no_agent_sees_no_case(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    lone = _user(workspace, "lone", "supervisor")
    assert _listed(teams, lone) == set()
    _is_missing(teams.get(f"/api/v1/cases/{cases.frontline}", headers=lone), cases.frontline)


def test_every_read_of_a_case_out_of_sight_answers_as_for_no_case(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    agent = workspace.headers("agent")
    hidden = cases.finance
    for path in ("", "/messages", "/escalations", "/audit", "/sla", "/approvals"):
        _is_missing(teams.get(f"/api/v1/cases/{hidden}{path}", headers=agent), hidden)
        seen = teams.get(f"/api/v1/cases/{cases.frontline}{path}", headers=agent)
        assert seen.status_code == 200, (path, seen.text)
    nowhere = teams.get("/api/v1/cases/999999", headers=agent)
    assert nowhere.status_code == 404
    assert nowhere.json()["message"] == "case 999999 does not exist"
    assert teams.get(f"/api/v1/cases/{hidden}", headers=agent).json()["message"] == (
        f"case {hidden} does not exist"
    )


def test_every_write_to_a_case_out_of_sight_answers_as_for_no_case_and_changes_nothing(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    agent = workspace.headers("agent", **{"If-Match": '"3"'})
    hidden = cases.finance
    before = workspace.client.get(f"/api/v1/cases/{hidden}", headers=workspace.headers()).json()
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("PATCH", "", {"status": "resolved"}),
        ("PUT", "/assignee", {"assignee": "ana"}),
        ("POST", "/messages", {"author": "agent", "body": "hello", "public": False}),
        ("POST", "/escalations", {"kind": "functional", "to_team": "frontline", "reason": "x"}),
        ("POST", "/acknowledgement", {}),
        ("POST", "/approvals", {"kind": "refund", "amount": 10}),
        (
            "POST",
            "/calls",
            {"direction": "outbound", "duration_seconds": 0, "outcome": "no_answer"},
        ),
        ("POST", "/survey", {"score": 5}),
    ]
    for method, path, body in writes:
        response = teams.request(
            method, f"/api/v1/cases/{hidden}{path}", json=body or None, headers=agent
        )
        _is_missing(response, hidden)
    de_escalated = teams.post(
        f"/api/v1/cases/{cases.management}/de-escalation",
        json={"to_level": "frontline", "note": "yours"},
        headers=workspace.headers("supervisor"),
    )
    _is_missing(de_escalated, cases.management)
    after = workspace.client.get(f"/api/v1/cases/{hidden}", headers=workspace.headers()).json()
    assert after == before


def test_an_approval_on_a_case_out_of_sight_is_not_found(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    asked = workspace.client.post(
        f"/api/v1/cases/{cases.management}/approvals",
        json={"kind": "refund", "amount": 100},
        headers=workspace.headers("admin"),
    )
    approval = asked.json()["id"]
    read = teams.get(f"/api/v1/approvals/{approval}", headers=workspace.headers("supervisor"))
    assert read.status_code == 404
    assert read.json()["message"] == f"approval request {approval} does not exist"
    decided = teams.post(
        f"/api/v1/approvals/{approval}/decision",
        json={"decision": "approve"},
        headers=workspace.headers("supervisor"),
    )
    assert decided.status_code == 404
    state = workspace.client.get(f"/api/v1/approvals/{approval}", headers=workspace.headers())
    assert state.json()["status"] == "pending"


def test_the_outbox_lists_only_messages_of_cases_in_sight(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    for case_id in (cases.supervisor, cases.management):
        reply = workspace.client.post(
            f"/api/v1/cases/{case_id}/messages",
            json={"author": "agent", "body": f"About case {case_id}", "public": True},
            headers=workspace.headers(),
        )
        assert reply.status_code == 201
    listed = teams.get(
        "/api/v1/outbox", params={"limit": 500}, headers=workspace.headers("supervisor")
    )
    assert listed.status_code == 200
    seen = {message["case_id"] for message in listed.json()}
    assert cases.supervisor in seen
    assert seen <= {cases.supervisor}
    everything = teams.get("/api/v1/outbox", params={"limit": 500}, headers=workspace.headers())
    assert cases.management in {message["case_id"] for message in everything.json()}


# -- the dashboard -------------------------------------------------------------------------------


def _signed_in(teams: TestClient, token: str) -> TestClient:
    client = TestClient(teams.app, raise_server_exceptions=False)
    sign_in(client, token)
    return client


def test_the_dashboard_shows_a_case_out_of_sight_as_no_case(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    ana = _signed_in(teams, workspace.tokens["agent"])
    assert ana.get(f"/ui/cases/{cases.frontline}").status_code == 200
    for path in ("", "/live"):
        hidden = ana.get(f"/ui/cases/{cases.finance}{path}")
        assert hidden.status_code == 404
        assert "Invoice for the printer" not in hidden.text
    csrf = csrf_of(ana.get(f"/ui/cases/{cases.frontline}").text)
    for path, form in (
        ("messages", {"body": "psst", "kind": "note"}),
        ("take", {}),
        ("escalate", {"target": "team:frontline", "reason": "mine now"}),
        ("approvals", {"kind": "refund", "amount": "10"}),
        ("resolve", {"root_cause": "none"}),
    ):
        posted = ana.post(
            f"/ui/cases/{cases.finance}/{path}",
            data={"csrf_token": csrf, **form},
            follow_redirects=False,
        )
        assert posted.status_code == 404, (path, posted.text)
    messages = workspace.client.get(
        f"/api/v1/cases/{cases.finance}/messages", headers=workspace.headers()
    ).json()
    assert [m["body"] for m in messages if m["author_kind"] == "agent"] == []
    case = workspace.client.get(f"/api/v1/cases/{cases.finance}", headers=workspace.headers())
    assert case.json()["assignee"] is None


def test_the_queues_and_the_board_list_only_cases_in_sight(
    workspace: Workspace, teams: TestClient, cases: Cases
) -> None:
    sara = _signed_in(teams, workspace.tokens["supervisor"])
    board = sara.get("/ui/escalations")
    assert board.status_code == 200
    assert f"/ui/cases/{cases.supervisor}" in board.text
    assert f"/ui/cases/{cases.management}" not in board.text
    queue = sara.get("/ui/queue", params={"team": "finance"})
    assert f"/ui/cases/{cases.supervisor}" in queue.text
    assert f"/ui/cases/{cases.finance}" not in queue.text
    rows = sara.get("/ui/queue/rows", params={"team": "finance"})
    assert f"/ui/cases/{cases.finance}" not in rows.text
    assert sara.get(f"/ui/cases/{cases.management}").status_code == 404
    admin = _signed_in(teams, workspace.tokens["admin"])
    assert f"/ui/cases/{cases.management}" in admin.get("/ui/escalations").text


# -- the integration role ------------------------------------------------------------------------


def test_an_integration_reads_a_case_and_its_public_messages_only(
    workspace: Workspace, cases: Cases
) -> None:
    note = workspace.client.post(
        f"/api/v1/cases/{cases.frontline}/messages",
        json={"author": "agent", "body": "customer seems angry", "public": False},
        headers=workspace.headers("agent"),
    )
    assert note.status_code == 201
    integration = workspace.headers("integration")
    messages = workspace.client.get(
        f"/api/v1/cases/{cases.frontline}/messages",
        params={"public_only": "false"},
        headers=integration,
    )
    assert messages.status_code == 200
    assert "customer seems angry" not in messages.text
    assert messages.json()[0]["author_kind"] == "customer"
    assert workspace.client.get(f"/api/v1/cases/{cases.frontline}", headers=integration).is_success


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{id}/audit",
        "/cases/{id}/escalations",
        "/cases/{id}/approvals",
        "/cases/{id}/sla",
        "/approvals/{approval}",
        "/kpis",
        "/teams",
        "/teams/frontline",
        "/teams/frontline/on-call",
        "/agents",
        "/agents/ana",
        "/policies",
        "/policies/active",
        "/outbox",
    ],
)
def test_an_integration_may_not_read_what_only_staff_read(
    workspace: Workspace, cases: Cases, path: str
) -> None:
    approval = workspace.client.post(
        f"/api/v1/cases/{cases.frontline}/approvals",
        json={"kind": "refund", "amount": 1},
        headers=workspace.headers("agent"),
    ).json()["id"]
    url = "/api/v1" + path.format(id=cases.frontline, approval=approval)
    response = workspace.client.get(url, headers=workspace.headers("integration"))
    assert response.status_code == 403, response.text
    assert workspace.client.get(url, headers=workspace.headers("supervisor")).status_code == 200


def test_an_integration_may_not_act_as_staff_on_a_case(workspace: Workspace, cases: Cases) -> None:
    integration = workspace.headers("integration")
    url = f"/api/v1/cases/{cases.frontline}"
    for method, path, body in (
        ("PATCH", "", {"status": "resolved"}),
        ("PUT", "/assignee", {"assignee": "ana"}),
        ("POST", "/escalations", {"kind": "hierarchical", "to_level": "management", "reason": "x"}),
        ("POST", "/acknowledgement", {}),
        ("POST", "/approvals", {"kind": "refund", "amount": 1}),
        ("POST", "/messages", {"author": "agent", "body": "internal", "public": False}),
    ):
        response = workspace.client.request(
            method, url + path, json=body or None, headers=integration
        )
        assert response.status_code == 403, (path, response.text)


def test_an_integration_opens_cases_and_posts_the_customers_messages(
    workspace: Workspace,
) -> None:
    integration = workspace.headers("integration")
    made = workspace.client.post(
        "/api/v1/customers", json={"ref": "C-9", "email": "c9@example.org"}, headers=integration
    )
    assert made.status_code == 201
    case = open_case(workspace, customer_id=made.json()["id"], customer=None)
    posted = workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "customer", "body": "Any news?"},
        headers=integration,
    )
    assert posted.status_code == 201
    found = workspace.client.get("/api/v1/customers", params={"ref": "C-9"}, headers=integration)
    assert [c["id"] for c in found.json()] == [made.json()["id"]]
