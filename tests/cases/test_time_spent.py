"""Time an agent spent on a reply or note: given through the API or the case page's form,
kept with the message, shown on the timeline; refused when it is not an agent's or not sane."""

from __future__ import annotations

from typing import Any

from tests.builders.cases import open_case
from tests.builders.dashboard import case_page, post_case_form, signed_in, timeline_of
from tests.builders.workspace import Workspace


def _post(ws: Workspace, case_id: int, **message: Any) -> Any:
    return ws.client.post(
        f"/api/v1/cases/{case_id}/messages", json=message, headers=ws.headers("agent")
    )


def _messages(ws: Workspace, case_id: int) -> list[dict[str, Any]]:
    found = ws.client.get(f"/api/v1/cases/{case_id}/messages", headers=ws.headers())
    return list(found.json())


def test_the_api_keeps_an_agents_time_spent_with_the_message(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    sent = _post(workspace, case_id, author="agent", body="Fixed.", time_spent_seconds=540)
    assert sent.status_code == 201, sent.text
    assert sent.json()["time_spent_seconds"] == 540
    first, reply = _messages(workspace, case_id)
    assert (first["time_spent_seconds"], reply["time_spent_seconds"]) == (None, 540)


def test_time_spent_is_an_agents_and_a_sane_number(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    said = _post(workspace, case_id, author="customer", body="Hi", time_spent_seconds=60)
    assert said.status_code == 422
    assert "time spent comes with an agent's message" in said.text
    for wrong in (-1, 24 * 3600 + 1, "600", 1.5):
        refused = _post(workspace, case_id, author="agent", body="x", time_spent_seconds=wrong)
        assert refused.status_code == 422, wrong
    assert len(_messages(workspace, case_id)) == 1  # nothing of them was kept


def test_the_case_form_sends_minutes_and_the_timeline_shows_them(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    assert 'name="time_spent_minutes"' in html
    sent = post_case_form(
        agent, case_id, "messages", body="On it.", kind="note", time_spent_minutes="7"
    )
    assert sent.status_code == 303
    assert _messages(workspace, case_id)[-1]["time_spent_seconds"] == 420
    assert "Time spent: 7 min" in timeline_of(agent.get(f"/ui/cases/{case_id}").text)
    wrong = post_case_form(
        agent, case_id, "messages", body="Again.", kind="note", time_spent_minutes="ten"
    )
    assert wrong.status_code == 422
    assert "time spent is whole minutes" in wrong.text
    assert len(_messages(workspace, case_id)) == 2
