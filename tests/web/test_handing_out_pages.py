"""Handing out work in the dashboard through HTTP: the case page's assignment picker, the queue's
filters and search (in the URL), and assigning the selected cases at once."""

from __future__ import annotations

import re

import pytest

from tests.builders.cases import open_case
from tests.builders.dashboard import csrf_of, sign_in
from tests.builders.workspace import Workspace


def _ids(html: str) -> list[int]:
    return [
        int(found) for found in re.findall(r'<td data-label="Case"><a href="/ui/cases/(\d+)"', html)
    ]


def test_the_picker_shows_who_is_present_and_their_load(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    workspace.client.patch(
        "/api/v1/agents/omar", json={"status": "away"}, headers=workspace.headers()
    )
    sign_in(workspace.client, workspace.tokens["supervisor"])
    page = workspace.client.get(f"/ui/cases/{case}")
    assert page.status_code == 200
    assert "Ana (ana) · present · 0/20 open cases" in page.text
    assert "Omar (omar) · not present · 0/20 open cases" in page.text


def test_agents_get_no_picker(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    sign_in(workspace.client, workspace.tokens["agent"])
    page = workspace.client.get(f"/ui/cases/{case}")
    assert 'id="assign-to"' not in page.text
    assert "Assign to me" in page.text


def test_a_supervisor_hands_a_case_to_a_named_person_from_its_page(workspace: Workspace) -> None:
    case = open_case(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    page = workspace.client.get(f"/ui/cases/{case['id']}")
    done = workspace.client.post(
        f"/ui/cases/{case['id']}/assign",
        data={"assignee": "omar", "version": case["version"], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/ui/cases/{case['id']}?done=assign&after=")
    shown = workspace.client.get(done.headers["location"])
    # What the action did, read from what it wrote: the person by name.
    assert '<p class="done" role="status">Assigned to Omar.</p>' in shown.text


def test_an_agent_posting_the_picker_is_refused_with_the_reason(workspace: Workspace) -> None:
    case = open_case(workspace)
    sign_in(workspace.client, workspace.tokens["agent"])
    page = workspace.client.get(f"/ui/cases/{case['id']}")
    refused = workspace.client.post(
        f"/ui/cases/{case['id']}/assign",
        data={"assignee": "omar", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 403
    assert "only supervisors give cases to others" in refused.text


def test_queue_filters_are_in_the_url_and_combine(workspace: Workspace) -> None:
    printer = open_case(workspace)["id"]
    login = open_case(workspace, subject="Cannot log in", body="Reset mail never came")["id"]
    taken = open_case(workspace, subject="Printer again")["id"]
    workspace.client.put(
        f"/api/v1/cases/{taken}/assignee",
        json={"assignee": "omar"},
        headers=workspace.headers("supervisor"),
    )
    sign_in(workspace.client, workspace.tokens["supervisor"])
    queue = workspace.client.get("/ui/queue", params={"q": "printer", "unassigned": "1"})
    assert queue.status_code == 200
    assert _ids(queue.text) == [printer]
    assert 'value="printer"' in queue.text
    by_omar = workspace.client.get("/ui/queue", params={"assignee": "omar"})
    assert _ids(by_omar.text) == [taken]
    due = workspace.client.get("/ui/queue", params={"due": "first_response", "q": "reset"})
    assert _ids(due.text) == [login]
    rows = workspace.client.get("/ui/queue/rows", params={"q": "reset"})
    assert _ids(rows.text) == [login]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"due": "soon"}, "due names a clock"),
        ({"unassigned": "maybe"}, "unassigned is 1"),
        ({"ack": "yes"}, "ack is 1"),
        ({"assignee": "nobody"}, "no agent has the handle"),
        ({"assignee": "ana", "unassigned": "1"}, "not both"),
    ],
)
def test_a_bad_queue_filter_is_a_400_that_says_why(
    workspace: Workspace, params: dict[str, str], says: str
) -> None:
    sign_in(workspace.client, workspace.tokens["supervisor"])
    response = workspace.client.get("/ui/queue", params=params)
    assert response.status_code == 400
    assert says in response.text


def test_the_selected_cases_go_to_one_person_at_once(workspace: Workspace) -> None:
    ids = [open_case(workspace)["id"] for _ in range(3)]
    sign_in(workspace.client, workspace.tokens["supervisor"])
    queue = workspace.client.get("/ui/queue", params={"unassigned": "1"})
    assert 'id="bulk-assign"' in queue.text
    answer = workspace.client.post(
        "/ui/queue/assign",
        data={
            "case_id": [ids[0], ids[2], 999_999],
            "assignee": "omar",
            "back": "/ui/queue?unassigned=1",
            "csrf_token": csrf_of(queue.text),
        },
    )
    assert answer.status_code == 200
    assert "Assigned to omar" in answer.text
    assert answer.text.count("<td>done</td>") == 2
    assert "not found" in answer.text
    assert 'href="/ui/queue?unassigned=1"' in answer.text
    left = workspace.client.get("/ui/queue", params={"unassigned": "1"})
    assert _ids(left.text) == [ids[1]]


def test_the_bulk_form_only_sends_back_to_a_queue(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    sign_in(workspace.client, workspace.tokens["supervisor"])
    queue = workspace.client.get("/ui/queue")
    answer = workspace.client.post(
        "/ui/queue/assign",
        data={
            "case_id": [case],
            "assignee": "omar",
            "back": "https://evil.example/ui/queue",
            "csrf_token": csrf_of(queue.text),
        },
    )
    assert 'href="/ui/queue"' in answer.text
    assert "evil" not in answer.text


def test_the_bulk_form_needs_its_csrf_token(workspace: Workspace) -> None:
    case = open_case(workspace)["id"]
    sign_in(workspace.client, workspace.tokens["supervisor"])
    answer = workspace.client.post(
        "/ui/queue/assign", data={"case_id": [case], "assignee": "omar", "csrf_token": "x"}
    )
    assert answer.status_code == 403
    assert (
        workspace.client.get(f"/api/v1/cases/{case}", headers=workspace.headers()).json()[
            "assignee"
        ]
        is None
    )
