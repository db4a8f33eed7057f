"""The breach model fitted on the database's own history: by the worker once a day (stored once
however many workers fit it) and by the command; the forecast then speaks through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from escalon.core.forecast.breach import BreachModel
from escalon.forecast import breach as breach_forecast
from tests.builders.cases import open_case
from tests.builders.workspace import START, Workspace

DAY_US = 24 * 3600 * 1_000_000


def _history(ws: Workspace) -> int:
    """Three weeks of weekday mornings: eight cases at 09:00-09:40 UTC; ana answers the first
    five within the hour and the rest the next day (late: 4 office hours)."""
    last = 0
    for day in range(21):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue
        ids = []
        for n in range(8):
            ws.clock.set(START + timedelta(days=day, minutes=5 * n))
            customer = {"ref": f"K-{day}-{n}", "name": "Kim"}
            ids.append(open_case(ws, customer=customer)["id"])
        for n, case_id in enumerate(ids):
            later = timedelta(days=day, minutes=50 + n) if n < 5 else timedelta(days=day + 1)
            ws.clock.set(START + later)
            reply = ws.client.post(
                f"/api/v1/cases/{case_id}/messages",
                json={"author": "agent", "body": "Here you are."},
                headers=ws.headers("agent"),
            )
            assert reply.status_code == 201, reply.text
            last = case_id
    ws.clock.set(START + timedelta(days=21, hours=1))
    return last


def test_the_worker_fits_once_a_day_and_the_forecast_uses_it(workspace: Workspace) -> None:
    _history(workspace)
    now = workspace.clock.now_us()
    stored = breach_forecast.refresh(workspace.database, now=now, days=30)
    assert stored is not None
    methods = stored.report["methods"]
    assert methods["model"]["auc"] > 0.5
    assert breach_forecast.refresh(workspace.database, now=now + 3600 * 1_000_000) is None
    with workspace.database.read() as session:
        model = breach_forecast.latest_model(session)
    assert isinstance(model, BreachModel)
    assert model.trained["evaluation"]["methods"] == methods
    # A second worker that fitted the same day cannot store its model too.
    with pytest.raises(IntegrityError), workspace.database.write() as session:
        breach_forecast.store_model(
            session, model, now=now, source="worker", claim_key=f"daily:{now // DAY_US}"
        )
    # A new case now is forecast by the model.
    case_id = open_case(workspace, customer={"ref": "K-new", "name": "Kim"})["id"]
    sla = workspace.client.get(f"/api/v1/cases/{case_id}/sla", headers=workspace.headers())
    assert sla.json()["breach_forecast"]["source"] == "model"
