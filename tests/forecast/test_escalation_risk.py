"""Escalation risk on the live service: fitted from the stored history, scored when a case
opens, shown on the case's API answer and page, and the likely escalations in each reader's
sight (API and dashboard), with the worker's fitting at most once a day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from escalon.core.forecast.risk import RiskModel, score, to_json
from escalon.database import leases
from escalon.forecast import risk
from escalon.forecast.models import RiskModelRun
from escalon.worker.runner import Worker
from tests.builders.cases import open_case
from tests.builders.dashboard import sign_in, signed_in
from tests.builders.risk import services_of, small_enough, write_history
from tests.builders.workspace import START, Workspace

NOW = START + timedelta(days=20)


def _train(ws: Workspace) -> risk.Outcome:
    services = services_of(ws)
    return risk.train_now(ws.database, clock=ws.clock, analyzer=services.analyzer)


def _risk(client: TestClient, ws: Workspace, case_id: int, role: str = "admin") -> Any:
    answer = client.get(f"/api/v1/cases/{case_id}", headers=ws.headers(role))
    assert answer.status_code == 200, answer.text
    return answer.json()["escalation_risk"]


def _open(ws: Workspace, ref: str, tier: str, **fields: Any) -> int:
    customer = {"ref": ref, "name": "Lee", "tier": tier}
    return int(open_case(ws, customer=customer, subject=f"New {ref}", **fields)["id"])


def test_without_a_model_a_case_says_so_rather_than_a_number(workspace: Workspace) -> None:
    case_id = _open(workspace, "N-1", "enterprise")
    found = _risk(workspace.client, workspace, case_id)
    assert found["probability"] is None
    assert found["model"] is None
    assert found["note"] == risk.NO_MODEL


def test_too_little_history_is_recorded_and_makes_no_model(workspace: Workspace) -> None:
    write_history(workspace, until=NOW, cases=6)
    done = _train(workspace)
    assert done.trained is None
    assert "a model needs 100 cases" in (done.note or "")
    with workspace.database.read() as session:
        run = session.get(RiskModelRun, done.run_id)
        assert run is not None
        assert run.status == "too_little"
        assert run.model is None


def test_a_fitted_model_is_stored_as_json_and_scores_each_new_case_at_intake(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    done = _train(workspace)
    assert done.trained is not None
    with workspace.database.read() as session:
        stored = session.scalars(select(RiskModelRun.model)).one()
    assert stored is not None
    assert stored["kind"] == "logistic"
    assert stored["weights"]["tier:enterprise"] > 0
    enterprise = _open(workspace, "N-1", "enterprise")
    standard = _open(workspace, "N-2", "standard")
    high = _risk(workspace.client, workspace, enterprise, "agent")
    low = _risk(workspace.client, workspace, standard, "agent")
    assert high["probability"] > 0.5 > low["probability"]
    assert high["signals"][0] == "enterprise tier"
    assert high["model"]["id"] == done.run_id
    assert high["model"]["cases"] == 30
    # An integration reads the case, not what staff think of its customer.
    assert _risk(workspace.client, workspace, enterprise, "integration") is None


def test_likely_escalations_list_open_unescalated_cases_riskiest_first(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    _train(workspace)
    low = _open(workspace, "N-1", "standard")
    high = _open(workspace, "N-2", "enterprise")
    moved = _open(workspace, "N-3", "enterprise")
    escalated = workspace.client.post(
        f"/api/v1/cases/{moved}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "now"},
        headers=workspace.headers("agent"),
    )
    assert escalated.status_code in (200, 201), escalated.text
    answer = workspace.client.get(
        "/api/v1/cases/likely-escalations", headers=workspace.headers("supervisor")
    )
    assert answer.status_code == 200, answer.text
    assert [item["id"] for item in answer.json()["items"]] == [high, low]
    assert answer.json()["items"][0]["signals"] == ["enterprise tier"]
    only_high = workspace.client.get(
        "/api/v1/cases/likely-escalations?at_least=0.5", headers=workspace.headers("supervisor")
    )
    assert [item["id"] for item in only_high.json()["items"]] == [high]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=100000", "at_least=2", "at_least=x", "at_least=nan"]
)
def test_a_bad_likely_escalations_query_is_a_422(workspace: Workspace, query: str) -> None:
    answer = workspace.client.get(
        f"/api/v1/cases/likely-escalations?{query}", headers=workspace.headers("supervisor")
    )
    assert answer.status_code == 422


def test_agents_and_integrations_do_not_get_the_likely_escalations(workspace: Workspace) -> None:
    for role in ("agent", "integration"):
        answer = workspace.client.get(
            "/api/v1/cases/likely-escalations", headers=workspace.headers(role)
        )
        assert answer.status_code == 403


def test_a_supervisor_with_team_visibility_sees_only_likely_escalations_of_their_teams(
    workspace: Workspace, teams: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    _train(workspace)
    theirs = _open(workspace, "N-1", "enterprise", team="supervisors")
    others = _open(workspace, "N-2", "enterprise", team="specialists")
    answer = teams.get("/api/v1/cases/likely-escalations", headers=workspace.headers("supervisor"))
    assert [item["id"] for item in answer.json()["items"]] == [theirs]
    everyone = teams.get("/api/v1/cases/likely-escalations", headers=workspace.headers())
    assert {item["id"] for item in everyone.json()["items"]} == {theirs, others}
    sign_in(teams, workspace.tokens["supervisor"])
    html = teams.get("/ui/likely-escalations").text
    assert f'href="/ui/cases/{theirs}"' in html
    assert f'href="/ui/cases/{others}"' not in html


def test_the_likely_escalations_page_shows_risk_and_reasons_to_supervisors_only(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    done = _train(workspace)
    high = _open(workspace, "N-1", "enterprise")
    supervisor = signed_in(workspace, "supervisor")
    page = supervisor.get("/ui/likely-escalations")
    assert page.status_code == 200
    assert f'href="/ui/cases/{high}"' in page.text
    assert "enterprise tier" in page.text
    assert 'href="/ui/likely-escalations"' in page.text  # in the navigation
    assert f"this team's history ({done.trained.cases if done.trained else 0} cases" in page.text
    case_page = supervisor.get(f"/ui/cases/{high}")
    assert 'id="escalation-risk"' in case_page.text
    assert "enterprise tier" in case_page.text
    agent = signed_in(workspace, "agent")
    assert agent.get("/ui/likely-escalations").status_code == 403
    assert 'href="/ui/likely-escalations"' not in agent.get("/ui/queue").text


def test_the_pages_say_when_there_is_no_model_yet(workspace: Workspace) -> None:
    supervisor = signed_in(workspace, "supervisor")
    page = supervisor.get("/ui/likely-escalations")
    assert page.status_code == 200
    assert 'id="no-model"' in page.text
    case_id = _open(workspace, "N-1", "enterprise")
    assert risk.NO_MODEL in supervisor.get(f"/ui/cases/{case_id}").text


def test_a_new_model_scores_the_open_cases_that_opened_before_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    waiting = _open(workspace, "N-1", "enterprise")
    assert _risk(workspace.client, workspace, waiting)["probability"] is None
    done = _train(workspace)
    assert done.rescored == 1
    assert _risk(workspace.client, workspace, waiting)["probability"] > 0.5


def test_the_worker_fits_at_most_once_a_utc_day(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    worker = Worker(services_of(workspace), timers=False, outbox=False, topics=False)
    assert [loop.name for loop in worker.loops] == []
    worker = Worker(services_of(workspace), timers=False, outbox=False)
    assert [loop.name for loop in worker.loops] == ["topics", "breach-model", "risk"]
    worker.risk_step()
    worker.risk_step()
    assert worker.risk_fittings == 1
    workspace.clock.set(NOW + timedelta(days=1))
    worker.risk_step()
    assert worker.risk_fittings == 2
    with workspace.database.read() as session:
        keys = list(session.scalars(select(RiskModelRun.claim_key).order_by(RiskModelRun.id)))
    assert keys == [
        leases.daily_key(workspace.clock.now_us() - 86_400_000_000),
        leases.daily_key(workspace.clock.now_us()),
    ]


def test_a_fitting_whose_process_died_is_taken_over_after_its_lease(workspace: Workspace) -> None:
    now = workspace.clock.now_us()
    with workspace.database.write() as session:
        first = risk.claim_daily(session, now=now)
    with workspace.database.write() as session:
        assert risk.claim_daily(session, now=now + 1) is None  # its lease holds
    with workspace.database.write() as session:
        again = risk.claim_daily(session, now=now + risk.LEASE_US + 1)
    assert first is not None
    assert again == leases.Claim(first.run_id, 2)


def test_a_stored_model_that_is_not_one_scores_nothing_and_breaks_no_intake(
    workspace: Workspace,
) -> None:
    with workspace.database.write() as session:
        session.add(
            RiskModelRun(
                source="command",
                status="done",
                attempts=1,
                started_at=0,
                cases=0,
                escalated=0,
                model={"format": 1, "kind": "logistic", "weights": {"x": "__import__('os')"}},
            )
        )
    case_id = _open(workspace, "N-1", "enterprise")
    found = _risk(workspace.client, workspace, case_id)
    assert found["probability"] is None
    assert found["note"] == risk.NOT_SCORED


def test_what_people_changed_after_opening_is_not_learnt_from(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The escalated cases get a channel by hand later: known only afterwards, it would give
    the answer away."""
    small_enough(monkeypatch)
    write_history(workspace, until=NOW, channel=None)
    listed = workspace.client.get(
        "/api/v1/cases?escalated=true&limit=100", headers=workspace.headers()
    )
    for case in listed.json()["items"]:
        url = f"/api/v1/cases/{case['id']}"
        version = workspace.client.get(url, headers=workspace.headers()).headers["ETag"]
        changed = workspace.client.patch(
            url,
            json={"channel": "phone"},
            headers=workspace.headers("supervisor", **{"If-Match": version}),
        )
        assert changed.status_code == 200, changed.text
    done = _train(workspace)
    assert done.trained is not None
    assert not [name for name in done.trained.model.weights if name.startswith("channel:")]


def test_intake_scores_a_case_from_the_same_facts_the_history_reads_for_it(
    workspace: Workspace,
) -> None:
    """Learning and scoring must see a case alike, or the model learns one thing and is asked
    another: the score stored at intake is the model's score of the facts the history reads.
    Every feature weighs something different here, so any fact read otherwise shows."""
    weights = {
        "intent:manager_request": 1.0,
        "intent:complaint": 0.15,
        "negative_tone": 0.7,
        "recent_contacts": 0.3,
        "earlier_cases": 0.2,
        "earlier_escalations": 0.5,
        "earlier_reopenings": 0.45,
        "tier:enterprise": 0.6,
        "channel:email": 0.1,
        "when:out_of_hours": 0.25,
        "when:weekend": 0.35,
    }
    model = RiskModel(-1.0, weights, 0.2, 100, 0)
    with workspace.database.write() as session:
        session.add(
            RiskModelRun(
                source="command",
                status="done",
                attempts=1,
                started_at=0,
                cases=100,
                escalated=20,
                model=to_json(model),
            )
        )
    workspace.clock.set(NOW)
    first = _open(workspace, "R-1", "enterprise", body="I am really angry about this.")
    moved = workspace.client.post(
        f"/api/v1/cases/{first}/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "angry"},
        headers=workspace.headers("agent"),
    )
    assert moved.status_code in (200, 201), moved.text
    workspace.clock.set(NOW + timedelta(hours=30))  # Monday afternoon: a weekday, in office hours
    second = _open(workspace, "R-1", "enterprise", body="Still broken. Get me your manager.")
    stored = _risk(workspace.client, workspace, second)
    with workspace.database.read() as session:
        history = risk.read_history(
            session, analyzer=services_of(workspace).analyzer, now=workspace.clock.now_us()
        )
    facts = next(example.facts for example in history if example.case_id == second)
    assert facts.earlier_escalations == 1
    assert facts.recent_contacts == 1
    assert "manager_request" in facts.intents
    assert stored["probability"] == pytest.approx(score(model, facts).probability, abs=1e-6)


def test_a_worker_asked_to_stop_gives_its_fitting_back_for_the_next_look(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fitting reads weeks of cases: a worker that is shutting down must not wait for it."""
    small_enough(monkeypatch)
    write_history(workspace, until=NOW)
    services = services_of(workspace)
    stopped = risk.refresh(
        workspace.database, clock=workspace.clock, analyzer=services.analyzer, stopping=lambda: True
    )
    assert stopped is None
    with workspace.database.read() as session:
        run = session.scalars(select(RiskModelRun)).one()
        assert run.status == "running"
        assert run.lease_until is not None
        assert run.lease_until < workspace.clock.now_us()
    again = risk.refresh(workspace.database, clock=workspace.clock, analyzer=services.analyzer)
    assert again is not None
    assert again.run_id == run.id
    assert again.trained is not None
