"""The KPI summary counts what happened to the cases of its window."""

from __future__ import annotations

from escalon.worker.timers import tick
from tests.builders.cases import kpis, open_case
from tests.builders.workspace import Workspace

MINUTE = 60 * 1_000_000


def _resolve(ws: Workspace, case_id: int) -> None:
    version = ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers()).json()["version"]
    response = ws.client.patch(
        f"/api/v1/cases/{case_id}",
        json={"status": "resolved"},
        headers=ws.headers("agent", **{"If-Match": f'"{version}"'}),
    )
    assert response.status_code == 200, response.text


def _reply(ws: Workspace, case_id: int) -> None:
    ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": "Done."},
        headers=ws.headers("agent"),
    )


def test_the_summary_counts_escalations_sla_csat_and_first_contact_resolution(
    workspace: Workspace,
) -> None:
    quick = open_case(workspace, priority="P1")["id"]
    breached = open_case(workspace, priority="P1")["id"]
    manual = open_case(workspace)["id"]
    open_case(workspace)  # stays open and untouched
    workspace.clock.advance(minutes=5)
    _reply(workspace, quick)
    _resolve(workspace, quick)
    workspace.client.post(
        f"/api/v1/cases/{quick}/survey", json={"score": 5}, headers=workspace.headers("integration")
    )
    workspace.client.post(
        f"/api/v1/cases/{manual}/escalations",
        json={"kind": "hierarchical", "to_level": "specialist", "reason": "bug"},
        headers=workspace.headers("agent"),
    )
    tick(workspace.database, now=workspace.clock.now_us() + 11 * MINUTE, batch=10)
    workspace.clock.advance(minutes=20)
    _reply(workspace, breached)
    _resolve(workspace, breached)
    workspace.client.post(
        f"/api/v1/cases/{breached}/survey",
        json={"score": 2},
        headers=workspace.headers("integration"),
    )
    summary = kpis(workspace)
    assert summary["cases"] == 4
    assert summary["escalated_cases"] == 2
    assert summary["escalation_rate"] == 0.5
    assert summary["escalations_by_rule"] == {"first response breached": 1, "manual": 1}
    assert summary["escalations_by_level"] == {"specialist": 1, "supervisor": 1}
    assert summary["sla"]["first_response"] == {"met": 1, "breached": 1, "compliance": 0.5}
    assert summary["sla"]["resolution"] == {"met": 2, "breached": 0, "compliance": 1.0}
    assert summary["csat"] == {
        "escalated": {"responses": 1, "mean": 2.0},
        "other": {"responses": 1, "mean": 5.0},
    }
    assert summary["first_contact_resolution"] == 0.5  # quick: yes; breached: escalated
    assert summary["resolution_time"]["other"]["cases"] == 1
    assert summary["now"] == {
        "open_cases": 2,
        "overdue_cases": 0,
        "awaiting_acknowledgement": 1,  # the resolved one no longer counts
        "dead_letters": 0,
    }


def test_the_window_selects_cases_by_opening(workspace: Workspace) -> None:
    open_case(workspace)
    workspace.clock.advance(hours=48)
    open_case(workspace)
    assert kpis(workspace)["cases"] == 2
    assert kpis(workspace, since="2026-12-01T00:00:00Z")["cases"] == 1
    bad = workspace.client.get(
        "/api/v1/kpis",
        params={"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
        headers=workspace.headers(),
    )
    assert bad.status_code == 422
