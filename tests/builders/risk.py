"""A history for the escalation-risk model, written through the API: enterprise customers'
cases are escalated by hand, everyone else's are resolved."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import pytest
from fastapi import FastAPI

from escalon.forecast import risk
from escalon.services import Services
from tests.builders.cases import open_case, set_status
from tests.builders.workspace import Workspace

HISTORY_CASES = 30


def small_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test's short history make a model (the real floor is 100 cases)."""
    monkeypatch.setattr(risk, "MIN_CASES", 20)
    monkeypatch.setattr(risk, "MIN_EACH", 4)


def services_of(ws: Workspace) -> Services:
    """The services the workspace's API runs with (its manual clock, its detector)."""
    return cast(Services, cast(FastAPI, ws.client.app).state.services)


def write_history(
    ws: Workspace, *, until: datetime, cases: int = HISTORY_CASES, channel: str | None = "email"
) -> None:
    """`cases` cases, one every 10 hours before `until`, opened by `channel`; every third from an
    enterprise customer, escalated by hand; the others resolved. The clock is left at `until`."""
    for index in range(cases):
        ws.clock.set(until - timedelta(hours=10 * (cases - index)))
        enterprise = index % 3 == 0
        case = open_case(
            ws,
            customer={
                "ref": f"H-{index}",
                "name": "Kim",
                "tier": "enterprise" if enterprise else "standard",
            },
            subject=f"Question {index}",
            body="How do I change my invoice address?",
            channel=channel,
        )
        if enterprise:
            moved = ws.client.post(
                f"/api/v1/cases/{case['id']}/escalations",
                json={"kind": "hierarchical", "to_level": "supervisor", "reason": "important"},
                headers=ws.headers("agent"),
            )
            assert moved.status_code in (200, 201), moved.text
        else:
            set_status(ws, case["id"], "resolved")
    ws.clock.set(until)
