"""The escalations board: what waits for acknowledgement, by level, and one click to take it."""

from __future__ import annotations

import re

from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.dashboard import csrf_of, sign_in
from tests.builders.workspace import Workspace

MINUTE_US = 60 * 1_000_000


def breached(ws: Workspace) -> dict[str, object]:
    """A critical case whose first response breached: escalated to the supervisors."""
    case = open_case(ws, priority="P1")
    tick(ws.database, now=ws.clock.now_us() + 16 * MINUTE_US, batch=10)
    ws.clock.advance(minutes=26)
    return case


def test_the_board_shows_each_waiting_escalation_with_how_long_it_has_waited(
    workspace: Workspace,
) -> None:
    case = breached(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    page = workspace.client.get("/ui/escalations")
    assert page.status_code == 200
    assert re.search(r"<h2[^>]*>supervisor", page.text)
    assert f"#{case['id']}" in page.text
    # Escalated at the 15-minute breach; the clock is now at 26 minutes after that tick.
    assert "11 min" in page.text
    assert f'aria-label="Acknowledge case {case["id"]}"' in page.text


def test_a_supervisor_acknowledges_in_one_click_and_takes_the_case(workspace: Workspace) -> None:
    case = breached(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    board = workspace.client.get("/ui/escalations")
    done = workspace.client.post(
        f"/ui/cases/{case['id']}/acknowledge",
        data={"csrf_token": csrf_of(board.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = workspace.client.get(f"/api/v1/cases/{case['id']}", headers=workspace.headers()).json()
    assert not after["awaiting_acknowledgement"]
    assert after["assignee"] == "sara"
    assert "Nothing waits" in workspace.client.get("/ui/escalations").text


def test_a_frontline_agent_cannot_acknowledge_the_supervisors_escalation(
    workspace: Workspace,
) -> None:
    case = breached(workspace)
    sign_in(workspace.client, workspace.tokens["agent"])
    board = workspace.client.get("/ui/escalations")
    assert f'aria-label="Acknowledge case {case["id"]}"' not in board.text
    refused = workspace.client.post(
        f"/ui/cases/{case['id']}/acknowledge",
        data={"csrf_token": csrf_of(board.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "neither at level" in refused.text


def test_acknowledging_without_the_csrf_token_is_refused(workspace: Workspace) -> None:
    case = breached(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    refused = workspace.client.post(
        f"/ui/cases/{case['id']}/acknowledge", data={}, follow_redirects=False
    )
    assert refused.status_code == 403
    after = workspace.client.get(f"/api/v1/cases/{case['id']}", headers=workspace.headers()).json()
    assert after["awaiting_acknowledgement"]


def test_the_board_offers_no_acknowledgement_to_an_agent_no_longer_active(
    workspace: Workspace,
) -> None:
    """The board asks the acknowledge flow's own rule, so it never shows a button the flow
    would refuse."""
    case = breached(workspace)
    changed = workspace.client.patch(
        "/api/v1/agents/sara", json={"active": False}, headers=workspace.headers()
    )
    assert changed.status_code == 200, changed.text
    sign_in(workspace.client, workspace.tokens["supervisor"])
    board = workspace.client.get("/ui/escalations")
    assert board.status_code == 200
    assert f"#{case['id']}" in board.text
    assert f'aria-label="Acknowledge case {case["id"]}"' not in board.text
