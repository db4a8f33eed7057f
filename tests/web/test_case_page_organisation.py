"""The case page of an organisation's customer: the organisation, and every clock's due time in
the calendar's zone and in the viewer's own."""

from __future__ import annotations

from tests.builders.cases import open_case
from tests.builders.dashboard import case_page, signed_in
from tests.builders.workspace import Workspace
from tests.organisations.test_organisations_api import TOKYO, follow_the_customer


def test_the_page_names_the_organisation_and_shows_due_times_in_both_zones(
    workspace: Workspace,
) -> None:
    follow_the_customer(workspace)
    created = workspace.client.post(
        "/api/v1/organisations", json=TOKYO, headers=workspace.headers("supervisor")
    )
    assert created.status_code == 201, created.text
    moved = workspace.client.patch(
        "/api/v1/agents/ana", json={"timezone": "Europe/Lisbon"}, headers=workspace.headers()
    )
    assert moved.status_code == 200, moved.text
    case = open_case(workspace, customer={"ref": "mika", "email": "mika@tokyo-trading.example"})
    html = case_page(signed_in(workspace, "agent"), case["id"])
    assert 'id="case-organisation">Tokyo Trading' in html
    assert "enterprise, Asia/Tokyo; by mail domain" in html
    assert "calendar of Tokyo Trading, the customer&#39;s organisation" in html
    assert "Due (Asia/Tokyo)" in html
    assert "Your time: Europe/Lisbon." in html
    # First response: Tuesday 10:00 in Tokyo, 01:00 in Lisbon; resolution 17:00 / 08:00.
    assert "Tue 01 Dec 10:00" in html
    assert "Tue 01 Dec 01:00 your time" in html
    assert "Tue 01 Dec 17:00" in html
    assert "Tue 01 Dec 08:00 your time" in html


def test_a_viewer_in_the_calendars_zone_sees_one_column_of_due_times(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    moved = workspace.client.patch(
        "/api/v1/agents/ana", json={"timezone": "Europe/Berlin"}, headers=workspace.headers()
    )
    assert moved.status_code == 200, moved.text
    html = case_page(signed_in(workspace, "agent"), case["id"])
    assert "Due (Europe/Berlin)" in html
    assert "Your time" not in html
    assert 'id="case-organisation"' not in html
