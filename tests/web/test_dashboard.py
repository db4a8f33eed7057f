"""The dashboard through HTTP: signing in with an API token, CSRF, and the case queues."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from escalon.auth import service as auth
from escalon.auth.models import ApiToken
from escalon.core.state import to_us
from escalon.web.common import countdown
from tests.builders.cases import open_case
from tests.builders.dashboard import csrf_of, sign_in, submit_sign_in
from tests.builders.workspace import Workspace

MINUTE_US = 60 * 1_000_000


def _rows(html: str) -> list[tuple[int, str]]:
    """(case id, class of its due cell) of every row, in order."""
    return [
        (int(case_id), css.strip())
        for case_id, css in re.findall(
            r'href="/ui/cases/(\d+)">.*?class="due ([^"]*)"', html, flags=re.S
        )
    ]


def test_signing_in_with_a_valid_token_sets_the_session_and_opens_the_queue(
    workspace: Workspace,
) -> None:
    response = submit_sign_in(workspace.client, workspace.tokens["agent"])
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/queue"
    cookie = response.headers["set-cookie"]
    assert "escalon_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie
    assert workspace.tokens["agent"] not in cookie
    page = workspace.client.get("/ui/queue")
    assert page.status_code == 200
    assert "My queue" in page.text


def test_a_bad_token_shows_an_error_and_sets_no_session(workspace: Workspace) -> None:
    response = submit_sign_in(workspace.client, "esc_not-a-real-token")
    assert response.status_code == 401
    assert "That token was not accepted" in response.text
    assert "escalon_session" not in workspace.client.cookies
    assert workspace.client.get("/ui/queue", follow_redirects=False).status_code == 303


def test_an_integration_token_cannot_sign_in(workspace: Workspace) -> None:
    response = submit_sign_in(workspace.client, workspace.tokens["integration"])
    assert response.status_code == 403
    assert "escalon_session" not in workspace.client.cookies


def test_unauthenticated_pages_redirect_to_sign_in(workspace: Workspace) -> None:
    for path in ("/ui/queue", "/ui/queue/rows", "/ui/queue?team=frontline"):
        response = workspace.client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/sign-in"


def test_a_tampered_session_cookie_is_not_accepted(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    value = workspace.client.cookies["escalon_session"]
    workspace.client.cookies.set("escalon_session", value[:-2] + "xx", path="/ui")
    response = workspace.client.get("/ui/queue", follow_redirects=False)
    assert response.status_code == 303


def test_revoking_the_token_ends_the_session(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    assert workspace.client.get("/ui/queue").status_code == 200
    with workspace.database.write() as session:
        token_id = session.scalar(
            select(ApiToken.id).where(
                ApiToken.token_hash == auth.hash_token(workspace.tokens["agent"])
            )
        )
        assert token_id is not None
        auth.revoke_token(session, token_id=token_id, now=workspace.clock.now_us())
    response = workspace.client.get("/ui/queue", follow_redirects=False)
    assert response.status_code == 303


def test_posts_without_the_right_csrf_token_are_refused(workspace: Workspace) -> None:
    form = workspace.client.get("/ui/sign-in")
    missing = workspace.client.post(
        "/ui/sign-in", data={"token": workspace.tokens["agent"]}, follow_redirects=False
    )
    assert missing.status_code == 403
    assert "security token" in missing.text
    assert "escalon_session" not in workspace.client.cookies
    assert csrf_of(form.text)

    sign_in(workspace.client, workspace.tokens["agent"])
    for data in ({}, {"csrf_token": "0" * 64}):
        response = workspace.client.post("/ui/sign-out", data=data, follow_redirects=False)
        assert response.status_code == 403
    assert workspace.client.get("/ui/queue").status_code == 200


def test_signing_out_clears_the_session(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    page = workspace.client.get("/ui/queue")
    response = workspace.client.post(
        "/ui/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in"
    assert "escalon_session" not in workspace.client.cookies
    assert workspace.client.get("/ui/queue", follow_redirects=False).status_code == 303


def test_the_queue_lists_the_agents_cases_soonest_due_first_with_countdown_classes(
    workspace: Workspace,
) -> None:
    first = open_case(workspace, subject="Older case")
    workspace.clock.advance(minutes=20)
    second = open_case(workspace, subject="Newer case")
    ids = {first["id"], second["id"]}
    for case in (first, second):
        if case["assignee"] != "ana":
            response = workspace.client.put(
                f"/api/v1/cases/{case['id']}/assignee",
                json={"assignee": "ana"},
                headers=workspace.headers("supervisor"),
            )
            assert response.status_code == 200, response.text
    cases = {
        case_id: workspace.client.get(
            f"/api/v1/cases/{case_id}", headers=workspace.headers()
        ).json()
        for case_id in ids
    }
    assert all(c["due_at"] is not None and c["assignee"] == "ana" for c in cases.values())
    by_due = sorted(ids, key=lambda i: (cases[i]["due_at"], i))

    sign_in(workspace.client, workspace.tokens["agent"])
    page = workspace.client.get("/ui/queue")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert [case_id for case_id, _ in rows] == by_due
    assert "Older case" in page.text
    assert "Newer case" in page.text

    # Just before the earlier case's SLA warning instant: not yet amber; just after: amber.
    warning_us = to_us(datetime.fromisoformat(cases[by_due[0]]["warning_at"]))
    due_us = to_us(datetime.fromisoformat(cases[by_due[0]]["due_at"]))
    assert workspace.clock.now_us() < warning_us < due_us
    workspace.clock.advance(seconds=(warning_us - workspace.clock.now_us()) / 1_000_000 - 60)
    sign_in(workspace.client, workspace.tokens["agent"])  # hours later: the session idled out
    assert _rows(workspace.client.get("/ui/queue").text)[0] == (by_due[0], "")
    workspace.clock.advance(seconds=120)
    rows = _rows(workspace.client.get("/ui/queue").text)
    assert rows[0] == (by_due[0], "due-warning")

    # Long past both due instants: red, in the rows fragment the page polls as well.
    workspace.clock.advance(hours=720)
    sign_in(workspace.client, workspace.tokens["agent"])
    fragment = workspace.client.get("/ui/queue/rows")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert [css for _, css in _rows(fragment.text)] == ["due-breach", "due-breach"]
    assert "overdue" in fragment.text


def test_the_countdown_is_amber_from_the_warning_instant_and_red_when_overdue() -> None:
    now = 1_000 * MINUTE_US
    # The SLA's warning instant decides, however far the due instant is.
    assert countdown(now + 5 * 60 * MINUTE_US, now, now - MINUTE_US) == ("in 5 h", "due-warning")
    assert countdown(now + 10 * MINUTE_US, now, now + MINUTE_US) == ("in 10 min", "")
    assert countdown(now - MINUTE_US, now, now + MINUTE_US) == ("overdue 1 min", "due-breach")
    # Without one (a case not written since the upgrade), 30 minutes before the due instant.
    assert countdown(None, now) == ("—", "")
    assert countdown(now + 90 * MINUTE_US, now) == ("in 1 h 30 min", "")
    assert countdown(now + 30 * MINUTE_US, now) == ("in 30 min", "due-warning")
    assert countdown(now + 5 * MINUTE_US, now) == ("in 5 min", "due-warning")
    assert countdown(now - 12 * MINUTE_US, now) == ("overdue 12 min", "due-breach")
    assert countdown(now, now) == ("overdue 0 min", "due-breach")


def test_agents_see_only_their_teams_queues_and_supervisors_any(workspace: Workspace) -> None:
    open_case(workspace)
    sign_in(workspace.client, workspace.tokens["agent"])
    assert workspace.client.get("/ui/queue?team=frontline").status_code == 200
    assert workspace.client.get("/ui/queue?team=finance").status_code == 403

    workspace.client.cookies.clear()
    sign_in(workspace.client, workspace.tokens["supervisor"])
    page = workspace.client.get("/ui/queue?team=finance")
    assert page.status_code == 200
    assert "Team queue: finance" in page.text


def test_the_team_queue_matches_the_api_list(workspace: Workspace) -> None:
    for n in range(3):
        open_case(workspace, subject=f"case {n}")
    api = workspace.client.get(
        "/api/v1/cases", params={"team": "frontline", "sort": "due"}, headers=workspace.headers()
    ).json()
    sign_in(workspace.client, workspace.tokens["supervisor"])
    page = workspace.client.get("/ui/queue", params={"team": "frontline", "priority": ""})
    assert [case_id for case_id, _ in _rows(page.text)] == [c["id"] for c in api["items"]]


def test_the_queue_filters_by_priority_and_level_chosen_from_the_policy(
    workspace: Workspace,
) -> None:
    urgent = open_case(workspace, priority="P1", subject="Urgent one")["id"]
    calm = open_case(workspace, priority="P3", subject="Calm one")["id"]
    escalated = open_case(workspace, priority="P3", subject="Escalated one")["id"]
    response = workspace.client.post(
        f"/api/v1/cases/{escalated}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "needs more"},
        headers=workspace.headers("agent"),
    )
    assert response.status_code == 200, response.text
    sign_in(workspace.client, workspace.tokens["admin"])

    def shown(query: str) -> set[int]:
        page = workspace.client.get(f"/ui/queue?{query}")
        assert page.status_code == 200, page.text
        return {case_id for case_id, _css in _rows(page.text)}

    assert shown("") == {urgent, calm, escalated}
    assert shown("priority=P1") == {urgent}
    assert shown("priority=P3") == {calm, escalated}
    assert shown("level=supervisor") == {escalated}
    assert shown("priority=P1&level=supervisor") == set()
    page = workspace.client.get("/ui/queue?priority=P3").text
    options = re.findall(r'<option value="(P\d)"( selected)?>', page)
    assert options == [("P1", ""), ("P2", ""), ("P3", " selected"), ("P4", "")]
    assert '<option value="supervisor">supervisor</option>' in page
