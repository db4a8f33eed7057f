"""The breach model fitted on the database's own history: by the worker once a day (stored once
however many workers fit it) and by the command; the forecast then speaks through it."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from escalon.core.forecast.breach import BreachModel
from escalon.forecast import breach as breach_forecast
from tests.builders.breach import three_weeks
from tests.builders.cases import open_case
from tests.builders.workspace import START, Workspace

DAY_US = 24 * 3600 * 1_000_000


def test_the_worker_fits_once_a_day_and_the_forecast_uses_it(workspace: Workspace) -> None:
    three_weeks(workspace, START)
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
