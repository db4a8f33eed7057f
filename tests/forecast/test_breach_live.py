"""The breach forecast in the live service: the engine fires `sla.at_risk` from the worker, the
API and the pages show the forecast, and a model is fitted on the stored history."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pytest

from escalon.config import Settings
from escalon.demo import policy_text
from escalon.forecast import breach as breach_forecast
from escalon.forecast.breach_training import TooLittleHistory
from escalon.notifications.delivery import deliver_due
from escalon.policies import service as policies
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.dashboard import signed_in
from tests.builders.workspace import START, Workspace
from tests.support.smtp import SmtpServer

AT_RISK = """
  - name: likely late
    trigger: sla.at_risk
    metric: first_response
    if: {breach_probability_above: 0.9}
    do:
      - escalate: {up: 1}
"""
CASES = 30  # one a minute; ana alone answers four an hour (no history: the roster paces)


def _use_at_risk(ws: Workspace) -> None:
    now = ws.clock.now_us()
    with ws.database.write() as session:
        version, _ = policies.upload(
            session,
            text=policy_text().replace("\nversion: 1\n", "\nversion: 2\n") + AT_RISK,
            filename="at-risk.yaml",
            user_id=None,
            now=now,
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)


def _open_many(ws: Workspace) -> list[int]:
    opened = []
    for n in range(CASES):
        ws.clock.set(START + timedelta(minutes=n))
        customer = {"ref": f"K-{n}", "name": "Kim", "email": f"kim{n}@example.org"}
        opened.append(open_case(ws, customer=customer)["id"])
    return opened


def _sla(ws: Workspace, case_id: int, role: str = "supervisor") -> dict[str, Any]:
    answer = ws.client.get(f"/api/v1/cases/{case_id}/sla", headers=ws.headers(role))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_api_forecasts_from_the_queue_in_front(workspace: Workspace) -> None:
    ids = _open_many(workspace)
    first, last = _sla(workspace, ids[0]), _sla(workspace, ids[-1])
    assert first["breach_forecast"]["cases_ahead"] == 0
    assert last["breach_forecast"]["cases_ahead"] == CASES - 1
    assert first["breach_forecast"]["probability"] < 0.01
    assert last["breach_forecast"]["probability"] > 0.99
    assert last["breach_forecast"]["source"] == "queue"
    assert last["breach_forecast"]["metric"] == "first_response"
    # Answering the cases in front shortens the queue, and the forecast follows.
    for case_id in ids[:-1]:
        done = workspace.client.patch(
            f"/api/v1/cases/{case_id}",
            json={"status": "resolved"},
            headers=workspace.headers("agent", **{"If-Match": _etag(workspace, case_id)}),
        )
        assert done.status_code == 200, done.text
    alone = _sla(workspace, ids[-1])["breach_forecast"]
    assert alone["cases_ahead"] == 0
    assert alone["probability"] < 0.01


def _etag(ws: Workspace, case_id: int) -> str:
    return str(ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers()).headers["ETag"])


def test_sla_at_risk_escalates_the_cases_at_the_back_once(workspace: Workspace) -> None:
    _use_at_risk(workspace)
    ids = _open_many(workspace)
    now = workspace.clock.now_us()
    tick(workspace.database, now=now, batch=1000)
    escalated = {}
    for case_id in ids:
        found = workspace.client.get(
            f"/api/v1/cases/{case_id}/escalations", headers=workspace.headers()
        ).json()
        escalated[case_id] = [(e["rule"], e["trigger"]) for e in found]
    at_risk = [case_id for case_id, found in escalated.items() if found]
    assert at_risk, "no case was forecast to breach"
    assert ids[0] not in at_risk
    assert ids[-1] in at_risk
    assert all(escalated[c] == [("likely late", "sla.at_risk")] for c in at_risk)
    # Later looks of the same cycle never fire the rule again.
    later = now + 3 * 3600 * 1_000_000
    workspace.clock.set(START + timedelta(hours=3))
    tick(workspace.database, now=later, batch=1000)
    again = workspace.client.get(
        f"/api/v1/cases/{ids[-1]}/escalations", headers=workspace.headers()
    ).json()
    assert [e["trigger"] for e in again].count("sla.at_risk") == 1


def test_the_queue_and_the_case_page_show_the_risk(workspace: Workspace) -> None:
    ids = _open_many(workspace)
    browser = signed_in(workspace, "supervisor")
    queue = browser.get("/ui/queue", params={"team": "frontline"})
    assert queue.status_code == 200
    assert "Breach risk" in queue.text
    assert "&gt;99%" in queue.text  # never a rounded "100%" for what is not yet certain
    assert "&lt;1%" in queue.text
    page = browser.get(f"/ui/cases/{ids[-1]}")
    assert page.status_code == 200
    assert "likely to miss the first response: 29 cases of the team due first" in page.text
    assert "no model fitted yet" in page.text
    # Past its due instant, a clock is not forecast: it has breached.
    workspace.clock.set(START + timedelta(hours=5))
    late = signed_in(workspace, "supervisor").get(f"/ui/cases/{ids[0]}")
    assert "Forecast: the first response is already overdue." in late.text


def test_fitting_on_too_little_history_says_so(workspace: Workspace) -> None:
    _open_many(workspace)
    with workspace.database.write() as session, pytest.raises(TooLittleHistory):
        breach_forecast.train_from_history(session, now=workspace.clock.now_us(), days=30)


def _store_model(ws: Workspace, body: dict[str, Any]) -> None:
    from escalon.forecast.models import ForecastModel

    with ws.database.write() as session:
        session.add(
            ForecastModel(
                kind="breach", created_at=ws.clock.now_us(), source="command", looks=1, body=body
            )
        )
        breach_forecast.forget(session)


def test_a_stored_model_speaks_and_an_unreadable_one_is_ignored(workspace: Workspace) -> None:
    ids = _open_many(workspace)
    queue = _sla(workspace, ids[16])["breach_forecast"]["probability"]
    # A model that only reads the queue's own estimate, halved in log-odds.
    _store_model(
        workspace,
        {"format": 1, "kind": "breach", "intercept": 0.0, "weights": {"queue_logit": 0.5}},
    )
    found = _sla(workspace, ids[16])["breach_forecast"]
    assert found["source"] == "model"
    halved = 1 / (1 + math.exp(-0.5 * math.log(queue / (1 - queue))))
    assert found["probability"] == pytest.approx(halved, abs=1e-3)
    assert abs(found["probability"] - 0.5) < abs(queue - 0.5)
    _store_model(workspace, {"format": 1, "kind": "breach", "intercept": "import os"})
    assert _sla(workspace, ids[-1])["breach_forecast"]["source"] == "queue"


def test_the_acknowledgement_promises_the_forecast_when_the_queue_is_long(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    _open_many(workspace)
    settings = Settings(
        database_url=workspace.database.url, smtp_host=smtp_server.host, smtp_port=smtp_server.port
    )
    deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    texts = {
        sent.message["Subject"]: sent.message.get_content()
        for sent in smtp_server.recorder.received
    }
    assert len(texts) == CASES
    first = next(text for subject, text in texts.items() if subject.startswith("[#1]"))
    last = next(text for subject, text in texts.items() if subject.startswith(f"[#{CASES}]"))
    # The first case is answered within its 4 office hours: the SLA's instant is the promise.
    assert "You will have a first answer by Monday 30 November 2026, 14:00 CET" in first
    # With 29 cases in front at four answers an hour, 14:29 would be a broken promise.
    promised = re.search(r"first answer by Monday 30 November 2026, (\d\d):(\d\d) CET", last)
    assert promised is not None, last
    assert (int(promised[1]), int(promised[2])) > (17, 0)


def test_people_who_go_away_slow_the_forecast(workspace: Workspace) -> None:
    ids = _open_many(workspace)
    assert _sla(workspace, ids[0])["breach_forecast"]["probability"] < 0.01
    away = workspace.client.patch(
        "/api/v1/agents/ana", json={"status": "away"}, headers=workspace.headers()
    )
    assert away.status_code == 200, away.text
    # Nobody of the frontline is here for the hours before the first case falls due.
    alone = _sla(workspace, ids[0])["breach_forecast"]
    assert alone["probability"] > 0.99
    assert alone["expected_answers_before_due"] == 0
