"""Kudos: earned by escalations resolved well, given by hand to those who handled a case."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from escalon.learning.kudos import board
from tests.builders.cases import open_case
from tests.builders.causes import patch_case
from tests.builders.dashboard import case_page, post_case_form, sign_in, signed_in
from tests.builders.workspace import Workspace

DAY_US = 86_400_000_000


def handled_case(ws: Workspace) -> int:
    """A case ana held when she escalated it to the specialists."""
    case_id = int(open_case(ws)["id"])
    given = ws.client.put(
        f"/api/v1/cases/{case_id}/assignee", json={"assignee": "ana"}, headers=ws.headers()
    )
    assert given.status_code == 200, given.text
    moved = ws.client.post(
        f"/api/v1/cases/{case_id}/escalations",
        json={"kind": "hierarchical", "to_level": "specialist", "reason": "bug"},
        headers=ws.headers("agent"),
    )
    assert moved.status_code == 200, moved.text
    return case_id


def customer_says(ws: Workspace, case_id: int, body: str) -> None:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": body},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 201, response.text


def resolved(ws: Workspace, case_id: int) -> None:
    response = patch_case(ws, case_id, {"status": "resolved", "root_cause": "config"})
    assert response.status_code == 200, response.text


def earned(ws: Workspace) -> dict[int, Any]:
    now = ws.clock.now_us()
    with ws.database.read() as session:
        found = board(session, since=now - DAY_US, until=now + 1)
    return {kudos.case_id: kudos for kudos in found.kudos}


def test_an_escalation_resolved_well_earns_kudos_for_those_who_handled_it(
    workspace: Workspace,
) -> None:
    quick, thanked, rated, ironic = (handled_case(workspace) for _ in range(4))
    customer_says(workspace, thanked, "Thank you so much, it works again!")
    customer_says(workspace, ironic, "Thanks for nothing, still waiting")
    for case_id in (quick, thanked, rated, ironic):
        resolved(workspace, case_id)
    survey = workspace.client.post(
        f"/api/v1/cases/{rated}/survey", json={"score": 5}, headers=workspace.headers("integration")
    )
    assert survey.status_code == 200, survey.text
    found = earned(workspace)
    assert "resolved within its resolution target" in found[quick].reasons
    assert "the customer said thank you" in found[thanked].reasons
    assert "the customer rated it 5 of 5" in found[rated].reasons
    assert "the customer said thank you" not in found[ironic].reasons
    assert "ana" in found[quick].people  # she held it when it escalated


def test_a_case_that_breached_its_target_and_was_not_thanked_earns_nothing(
    workspace: Workspace,
) -> None:
    slow = handled_case(workspace)
    workspace.clock.advance(hours=30 * 24)  # far past any resolution target
    resolved(workspace, slow)
    assert slow not in earned(workspace)


def give(ws: Workspace, body: dict[str, Any], role: str = "supervisor") -> Response:
    answer: Response = ws.client.post("/api/v1/kudos", json=body, headers=ws.headers(role))
    return answer


def test_kudos_by_hand_go_to_a_handler_once_and_never_to_oneself(workspace: Workspace) -> None:
    case_id = handled_case(workspace)
    holder = "ana"
    given = give(workspace, {"case_id": case_id, "person": holder, "note": "calm and quick"})
    assert given.status_code == 201, given.text
    assert given.json()["reasons"] == ["kudos from sara: calm and quick"]
    assert give(workspace, {"case_id": case_id, "person": holder}).status_code == 409
    stranger = give(workspace, {"case_id": case_id, "person": "omar"})
    assert stranger.status_code == 422
    assert "did not handle case" in stranger.text
    mine = give(workspace, {"case_id": case_id, "person": "sara"}, role="supervisor")
    assert mine.status_code == 403
    robot = give(workspace, {"case_id": case_id, "person": holder}, role="integration")
    assert robot.status_code == 403
    listed = workspace.client.get("/api/v1/kudos", headers=workspace.headers()).json()
    assert [(item["case_id"], item["giver"]) for item in listed] == [(case_id, "sara")]


def test_the_case_page_offers_kudos_and_the_numbers_page_shows_them(workspace: Workspace) -> None:
    case_id = handled_case(workspace)
    holder = "ana"
    boss = signed_in(workspace, "supervisor")
    html = case_page(boss, case_id)
    assert f'action="/ui/cases/{case_id}/kudos"' in html
    done = post_case_form(boss, case_id, "kudos", person=holder, note="stayed on it")
    assert done.is_redirect, done.text
    sign_in(workspace.client, workspace.tokens["supervisor"])
    numbers = workspace.client.get("/ui/numbers?days=7").text
    assert f"<strong>{holder}</strong> 1" in numbers
    assert "kudos from sara: stayed on it" in numbers


def test_the_numbers_page_lists_kudos_only_for_cases_in_sight(
    workspace: Workspace, teams: TestClient
) -> None:
    case_id = handled_case(workspace)  # escalated to the specialists: out of ana's sight
    given = workspace.client.post(
        "/api/v1/kudos",
        json={"case_id": case_id, "person": "ana", "note": "clear hand-over"},
        headers=workspace.headers("supervisor"),
    )
    assert given.status_code == 201, given.text
    seen = teams.get(f"/api/v1/cases/{case_id}", headers=workspace.headers("agent"))
    assert seen.status_code == 404  # under `teams` visibility ana no longer sees it
    sign_in(teams, workspace.tokens["admin"])
    assert "clear hand-over" in teams.get("/ui/numbers?days=7").text
    ana = TestClient(teams.app)
    sign_in(ana, workspace.tokens["agent"])
    assert "clear hand-over" not in ana.get("/ui/numbers?days=7").text
