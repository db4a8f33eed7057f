"""Customer organisations through the API, on SQLite and PostgreSQL: who may change them, what
is refused, and what a case of one of their customers takes from them."""

from __future__ import annotations

from typing import Any

from escalon.demo import policy_text
from escalon.policies import service as policies
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace

TOKYO = {
    "name": "Tokyo Trading",
    "tier": "enterprise",
    "timezone": "Asia/Tokyo",
    "hours": {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-11-23", "2027-01-01"],
    "domains": ["tokyo-trading.example"],
}


def post(ws: Workspace, path: str, body: dict[str, Any], role: str = "supervisor") -> Any:
    return ws.client.post(f"/api/v1{path}", json=body, headers=ws.headers(role))


def get(ws: Workspace, path: str, role: str = "agent") -> Any:
    return ws.client.get(f"/api/v1{path}", headers=ws.headers(role))


def fields_of(response: Any) -> list[str]:
    """The fields a 422 names."""
    assert response.status_code == 422, response.text
    return [detail.get("field", "") for detail in response.json()["details"]]


def follow_the_customer(ws: Workspace) -> None:
    """Activate the example policy with its enterprise SLA on the customer's calendar."""
    text = policy_text().replace("\nversion: 1\n", "\nversion: 2\n")
    text = text.replace(
        "    when: {tier: [enterprise]}\n    calendar: office\n",
        "    when: {tier: [enterprise]}\n    calendar: {customer: true, fallback: office}\n",
    )
    assert "customer: true" in text
    now = ws.clock.now_us()
    with ws.database.write() as session:
        version, _ = policies.upload(
            session, text=text, filename="follow.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)


def test_a_supervisor_adds_an_organisation_that_staff_read_and_integrations_do_not(
    workspace: Workspace,
) -> None:
    created = post(workspace, "/organisations", TOKYO)
    assert created.status_code == 201, created.text
    assert created.json()["domains"] == ["tokyo-trading.example"]
    one = get(workspace, "/organisations/Tokyo Trading")
    assert one.status_code == 200
    assert one.json()["timezone"] == "Asia/Tokyo"
    assert one.json()["holidays"] == ["2026-11-23", "2027-01-01"]
    assert [o["name"] for o in get(workspace, "/organisations").json()] == ["Tokyo Trading"]
    assert get(workspace, "/organisations", role="integration").status_code == 403


def test_an_agent_cannot_add_change_or_remove_an_organisation(workspace: Workspace) -> None:
    assert post(workspace, "/organisations", TOKYO).status_code == 201
    headers = workspace.headers("agent")
    assert (
        post(workspace, "/organisations", {**TOKYO, "name": "X"}, role="agent").status_code == 403
    )
    patched = workspace.client.patch(
        "/api/v1/organisations/Tokyo Trading", json={"tier": "gold"}, headers=headers
    )
    assert patched.status_code == 403
    removed = workspace.client.delete("/api/v1/organisations/Tokyo Trading", headers=headers)
    assert removed.status_code == 403
    assert get(workspace, "/organisations/Tokyo Trading").json()["tier"] == "enterprise"


def test_unsound_organisations_are_refused_naming_the_field(workspace: Workspace) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"timezone": "Asia/Nowhere"}, "body.timezone"),
        ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "body.hours"),
        ({"hours": {"someday": ["09:00-17:00"]}}, "body.hours"),
        ({"holidays": ["2026-02-30"]}, "body.holidays.0"),
        ({"domains": ["mika@tokyo-trading.example"]}, "body.domains.0"),
        ({"name": ""}, "body.name"),
        ({"name": "x" * 201}, "body.name"),
        ({"name": "Tokyo/Osaka"}, "body.name"),
        ({"colour": "red"}, "body.colour"),
    ]
    for change, field in cases:
        response = post(workspace, "/organisations", {**TOKYO, **change})
        assert field in fields_of(response), (change, response.text)
    assert get(workspace, "/organisations").json() == []


def test_a_taken_name_or_domain_is_a_conflict(workspace: Workspace) -> None:
    assert post(workspace, "/organisations", TOKYO).status_code == 201
    again = post(workspace, "/organisations", {**TOKYO, "domains": []})
    assert again.status_code == 409
    taken = post(workspace, "/organisations", {**TOKYO, "name": "Osaka Ltd"})
    assert taken.status_code == 409
    assert "tokyo-trading.example" in taken.json()["message"]


def test_a_change_is_audited_and_an_unknown_organisation_is_404(workspace: Workspace) -> None:
    assert post(workspace, "/organisations", TOKYO).status_code == 201
    changed = workspace.client.patch(
        "/api/v1/organisations/Tokyo Trading",
        json={"tier": "gold", "domains": ["tokyo-trading.example", "tt.example"]},
        headers=workspace.headers("supervisor"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["domains"] == ["tokyo-trading.example", "tt.example"]
    trail = get(workspace, "/admin/audit", role="admin").json()
    actions = [entry["action"] for entry in trail["entries"]]
    assert "organisation.updated" in actions
    assert get(workspace, "/organisations/Nowhere").status_code == 404


def test_a_case_of_an_organisations_customer_runs_on_its_calendar_and_takes_its_tier(
    workspace: Workspace,
) -> None:
    follow_the_customer(workspace)
    assert post(workspace, "/organisations", TOKYO).status_code == 201
    customer = {"ref": "mika", "email": "mika@tokyo-trading.example"}
    case = open_case(workspace, customer=customer)
    assert case["tier"] == "enterprise"
    shown = get(workspace, f"/cases/{case['id']}").json()
    assert shown["organisation"] == {
        "name": "Tokyo Trading",
        "tier": "enterprise",
        "timezone": "Asia/Tokyo",
        "by": "domain",
    }
    deadlines = shown["deadlines"]
    assert deadlines["calendar"] == "customer"
    assert deadlines["timezone"] == "Asia/Tokyo"
    # Monday 18:00 in Tokyo, closing time: the hour of first response is Tuesday 09:00-10:00.
    due = {clock["metric"]: clock["due_at"] for clock in deadlines["clocks"]}
    assert due == {
        "first_response": "2026-12-01T10:00:00+09:00",
        "resolution": "2026-12-01T17:00:00+09:00",
    }
    # The agent's own zone (UTC by default) shows the same instants.
    assert deadlines["viewer_timezone"] == "UTC"
    viewer = {clock["metric"]: clock["due_at_viewer"] for clock in deadlines["clocks"]}
    assert viewer["first_response"] == "2026-12-01T01:00:00Z"
    assert {clock["state"] for clock in deadlines["clocks"]} == {"running"}


def test_the_same_case_without_an_organisation_runs_on_the_policy_calendar(
    workspace: Workspace,
) -> None:
    follow_the_customer(workspace)
    case = open_case(workspace, customer={"ref": "kim", "email": "kim@elsewhere.example"})
    shown = get(workspace, f"/cases/{case['id']}", role="supervisor").json()
    assert shown["organisation"] is None
    assert shown["deadlines"]["timezone"] == "Europe/Berlin"


def test_deadlines_are_shown_in_a_zone_the_viewer_asks_for_and_a_bad_zone_is_422(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    shown = get(workspace, f"/cases/{case['id']}?timezone=America/New_York").json()
    clocks = shown["deadlines"]["clocks"]
    assert len(clocks) == 2
    assert all(clock["due_at_viewer"].endswith("-05:00") for clock in clocks)
    assert fields_of(get(workspace, f"/cases/{case['id']}?timezone=Mars/Base")) == [
        "query.timezone"
    ]


def test_an_integration_reads_a_case_without_its_deadlines(workspace: Workspace) -> None:
    case = open_case(workspace)
    shown = get(workspace, f"/cases/{case['id']}", role="integration").json()
    assert shown["deadlines"] is None
    assert shown["organisation"] is None


def test_a_supervisor_places_a_customer_in_an_organisation_whatever_their_domain(
    workspace: Workspace,
) -> None:
    follow_the_customer(workspace)
    assert post(workspace, "/organisations", TOKYO).status_code == 201
    customer = post(workspace, "/customers", {"ref": "kim", "email": "kim@elsewhere.example"})
    customer_id = customer.json()["id"]
    path = f"/api/v1/customers/{customer_id}/organisation"
    body = {"organisation": "Tokyo Trading"}
    refused = workspace.client.put(path, json=body, headers=workspace.headers("agent"))
    assert refused.status_code == 403
    unknown = workspace.client.put(
        path, json={"organisation": "Nowhere"}, headers=workspace.headers("supervisor")
    )
    assert unknown.status_code == 404
    placed = workspace.client.put(path, json=body, headers=workspace.headers("supervisor"))
    assert placed.status_code == 200, placed.text
    case = open_case(workspace, customer={"ref": "kim"})
    shown = get(workspace, f"/cases/{case['id']}").json()
    assert shown["organisation"]["by"] == "assignment"
    assert shown["deadlines"]["timezone"] == "Asia/Tokyo"
    assert get(workspace, "/organisations/Tokyo Trading").json()["customers"] == 1
