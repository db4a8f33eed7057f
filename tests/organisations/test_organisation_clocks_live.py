"""The worker measures an organisation's case on the organisation's calendar, from the state it
stored: no escalation at the policy calendar's due instant, one at the organisation's."""

from __future__ import annotations

from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace
from tests.organisations.test_organisations_api import TOKYO, follow_the_customer


def _escalations(workspace: Workspace, case_id: int) -> int:
    response = workspace.client.get(f"/api/v1/cases/{case_id}", headers=workspace.headers())
    assert response.status_code == 200, response.text
    return int(response.json()["escalations"])


def test_the_first_response_breach_waits_for_tokyos_working_day(workspace: Workspace) -> None:
    follow_the_customer(workspace)
    created = workspace.client.post(
        "/api/v1/organisations", json=TOKYO, headers=workspace.headers("supervisor")
    )
    assert created.status_code == 201, created.text
    # Monday 09:00 UTC: 10:00 in Berlin (office hours), 18:00 in Tokyo (closing time).
    customer = {"ref": "mika", "email": "mika@tokyo-trading.example"}
    case_id = open_case(workspace, customer=customer)["id"]
    # Two hours on: past the Berlin office's one business hour, Tokyo has not opened yet.
    workspace.clock.advance(hours=2)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)
    assert _escalations(workspace, case_id) == 0
    # Tuesday 01:00 UTC is 10:00 in Tokyo: the hour of first response is used up.
    workspace.clock.advance(hours=14, minutes=1)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)
    assert _escalations(workspace, case_id) == 1
