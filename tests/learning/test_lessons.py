"""Lessons learned: written at resolution or de-escalation (or later), searchable, in sight only."""

from __future__ import annotations

from httpx import Response

from tests.builders.cases import open_case
from tests.builders.causes import escalated_case
from tests.builders.dashboard import case_page, post_case_form, signed_in
from tests.builders.workspace import Workspace


def add(ws: Workspace, case_id: int, text: str, role: str = "agent") -> Response:
    answer: Response = ws.client.post(
        f"/api/v1/cases/{case_id}/lessons", json={"text": text}, headers=ws.headers(role)
    )
    return answer


def test_a_lesson_about_an_escalated_case_is_kept_and_found_by_its_words(
    workspace: Workspace,
) -> None:
    first, second = escalated_case(workspace), escalated_case(workspace)
    written = add(workspace, first, "  Publish the export limits in the help centre ")
    assert written.status_code == 201, written.text
    body = written.json()
    assert (body["case_id"], body["author"], body["moment"], body["text"]) == (
        first,
        "ana",  # the agent the token's user is
        "later",
        "Publish the export limits in the help centre",
    )
    assert add(workspace, second, "Train the frontline on refunds").status_code == 201
    found = workspace.client.get("/api/v1/lessons?q=EXPORT help", headers=workspace.headers())
    assert [lesson["case_id"] for lesson in found.json()] == [first]
    every = workspace.client.get("/api/v1/lessons", headers=workspace.headers()).json()
    assert [lesson["case_id"] for lesson in every] == [second, first]  # newest first
    percent = workspace.client.get("/api/v1/lessons?q=%25", headers=workspace.headers())
    assert percent.json() == []  # '%' is a character to look for, not a wildcard


def test_no_lesson_for_a_case_that_never_escalated_or_is_out_of_sight(workspace: Workspace) -> None:
    quiet = int(open_case(workspace)["id"])
    refused = add(workspace, quiet, "nothing to prevent")
    assert refused.status_code == 422
    assert "never escalated" in refused.text
    assert add(workspace, 999_999, "no such case").status_code == 404
    empty = add(workspace, escalated_case(workspace), "   ")
    assert empty.status_code == 422
    integration = add(workspace, escalated_case(workspace), "from a robot", role="integration")
    assert integration.status_code == 403


def test_the_resolve_form_keeps_the_lesson_and_the_lessons_page_lists_it(
    workspace: Workspace,
) -> None:
    case_id = escalated_case(workspace)
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    assert 'id="resolve-lesson"' in html
    done = post_case_form(
        agent,
        case_id,
        "resolve",
        root_cause="export limit",
        lesson="Show the export limit before the export starts",
    )
    assert done.is_redirect, done.text
    page = agent.get("/ui/lessons?q=export")
    assert page.status_code == 200
    assert "Show the export limit before the export starts" in page.text
    assert "when resolved; root cause: export limit" in page.text
    assert 'id="no-lessons"' in agent.get("/ui/lessons?q=nothing-like-it").text
    quiet = int(open_case(workspace)["id"])
    assert 'id="resolve-lesson"' not in case_page(agent, quiet)
