"""OLA clocks and whose time a case's time was, in the live service (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from escalon.cases.models import ClockEvent
from escalon.policies import service as policies
from escalon.worker.timers import tick
from tests.builders.dashboard import case_page, signed_in
from tests.builders.workspace import Workspace

POLICY = """\
name: ola-live
version: 1
calendars:
  always: {timezone: UTC, hours: always}
priority: {order: [P1, P2, P3], default: P3}
levels:
  - {name: frontline, team: frontline}
  - {name: specialist, team: specialists}
slas:
  - name: standard
    calendar: always
    pause_on: [pending_customer, pending_third_party]
    targets: {resolution: 8h}
rules:
  - name: specialists missed their OLA
    trigger: ola.breach
    if: {team: [specialists]}
    do:
      - tag: [ola-missed]
ola:
  specialists: {act_within: 2h}
"""


def _activate(workspace: Workspace) -> None:
    now = workspace.clock.now_us()
    with workspace.database.write() as session:
        version, _ = policies.upload(
            session, text=POLICY, filename="ola.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)


def _act(workspace: Workspace, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    client = workspace.client
    version = client.get(path.rsplit("/", 1)[0] if method != "PATCH" else path,
                         headers=workspace.headers()).json()["version"]  # fmt: skip
    answer = client.request(
        method, path, json=body, headers={**workspace.headers(), "If-Match": f'"{version}"'}
    )
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_third_party_wait_pauses_no_ola_and_the_time_is_attributed(workspace: Workspace) -> None:
    _activate(workspace)
    opened = workspace.client.post(
        "/api/v1/cases",
        json={
            "customer": {"ref": "K-9", "name": "Kai", "email": "kai@example.org"},
            "subject": "Export broken",
            "body": "The export stopped working.",
            "channel": "email",
        },
        headers=workspace.headers("integration"),
    )
    assert opened.status_code == 201, opened.text
    case = f"/api/v1/cases/{opened.json()['id']}"
    workspace.clock.advance(minutes=30)
    _act(workspace, "POST", f"{case}/escalations",
         {"kind": "hierarchical", "to_level": "specialist", "reason": "needs a specialist"})  # fmt: skip
    workspace.clock.advance(minutes=30)
    _act(workspace, "PATCH", case, {"status": "pending_third_party"})
    workspace.clock.advance(hours=2)
    tick(workspace.database, now=workspace.clock.now_us(), batch=100)

    found = workspace.client.get(case, headers=workspace.headers()).json()
    assert found["status"] == "pending_third_party", found
    assert "ola-missed" in found["tags"], (
        found
    )  # waiting on a supplier did not stop the team's clock
    assert found["due_at"] is None  # while the customer's resolution clock stands still
    ola = found["ola"]
    assert (ola["team"], ola["breached"], ola["target_seconds"]) == ("specialists", True, 7200)
    attribution = found["attribution"]
    assert attribution["parties"] == {"ours": 3600.0, "customer": 0.0, "third_party": 7200.0}
    assert attribution["teams"] == {"frontline": 1800.0, "specialists": 9000.0}
    assert attribution["levels"] == {"frontline": 1800.0, "specialist": 9000.0}
    assert attribution["elapsed_seconds"] == 10800.0
    with workspace.database.read() as session:
        kinds = session.execute(
            select(ClockEvent.metric, ClockEvent.kind).where(ClockEvent.metric.like("ola:%"))
        ).all()
    assert [tuple(row) for row in kinds] == [("ola:specialists", "breach")]
    audit = workspace.client.get(f"{case}/audit", headers=workspace.headers()).json()["items"]
    breaches = [(e["key"], e["data"]["metric"]) for e in audit if e["kind"] == "ola.breach"]
    assert breaches == [(f"{found['id']}|ola#1:breach", "ola:specialists")]
    page = case_page(signed_in(workspace, "supervisor"), found["id"])
    assert "OLA of team specialists: breach (it did not act within its internal target)" in page


def test_an_unknown_status_is_a_422_naming_the_choices(workspace: Workspace) -> None:
    opened = workspace.client.post(
        "/api/v1/cases",
        json={"customer": {"ref": "K-8", "name": "Ines"}, "subject": "x", "body": "y"},
        headers=workspace.headers("integration"),
    )
    case = f"/api/v1/cases/{opened.json()['id']}"
    version = opened.json()["version"]
    answer = workspace.client.patch(
        case,
        json={"status": "pending_vendor"},
        headers={**workspace.headers(), "If-Match": f'"{version}"'},
    )
    assert answer.status_code == 422
    assert "pending_third_party" in answer.text


def test_the_kpis_count_ola_compliance_per_team_and_whose_time_it_was(
    workspace: Workspace,
) -> None:
    _activate(workspace)
    for ref, acts_after in (("K-1", 30), ("K-2", 150)):
        opened = workspace.client.post(
            "/api/v1/cases",
            json={"customer": {"ref": ref, "name": ref}, "subject": "x", "body": "y"},
            headers=workspace.headers("integration"),
        )
        case = f"/api/v1/cases/{opened.json()['id']}"
        _act(workspace, "POST", f"{case}/escalations",
             {"kind": "hierarchical", "to_level": "specialist", "reason": "deep"})  # fmt: skip
        workspace.clock.advance(minutes=acts_after)
        _act(workspace, "POST", f"{case}/messages",
             {"author": "agent", "body": "looking into it", "public": False})  # fmt: skip
    answer = workspace.client.get("/api/v1/kpis", headers=workspace.headers())
    assert answer.status_code == 200, answer.text
    kpis = answer.json()
    assert kpis["ola"] == {"specialists": {"met": 1, "breached": 1, "compliance": 0.5}}
    time = kpis["time"]
    assert time["cases"] == 2
    # The first case has been with specialists for 180 minutes by now, the second for 150.
    assert time["teams"] == {"specialists": 5.5}
    assert time["parties"] == {"ours": 5.5, "customer": 0.0, "third_party": 0.0}
