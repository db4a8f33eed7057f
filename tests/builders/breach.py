"""A team's history the breach forecast can learn from, written through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.builders.cases import open_case
from tests.builders.workspace import Workspace


def three_weeks(ws: Workspace, start: datetime) -> None:
    """Three weeks of weekday mornings from `start`: eight cases five minutes apart; ana answers
    the first five within the hour and the rest the next day (late: 4 office hours). The clock
    ends an hour into the fourth week."""
    for day in range(21):
        if (start + timedelta(days=day)).weekday() >= 5:
            continue
        ids = []
        for n in range(8):
            ws.clock.set(start + timedelta(days=day, minutes=5 * n))
            customer = {"ref": f"K-{day}-{n}", "name": "Kim"}
            ids.append(open_case(ws, customer=customer)["id"])
        for n, case_id in enumerate(ids):
            later = timedelta(days=day, minutes=50 + n) if n < 5 else timedelta(days=day + 1)
            ws.clock.set(start + later)
            reply = ws.client.post(
                f"/api/v1/cases/{case_id}/messages",
                json={"author": "agent", "body": "Here you are."},
                headers=ws.headers("agent"),
            )
            assert reply.status_code == 201, reply.text
    ws.clock.set(start + timedelta(days=21, hours=1))
