"""A customer's own time zone: set through the API (an IANA name, checked), used for the times
in messages to that customer and on their status page, while staff notices keep the calendar's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from escalon.channels import links
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import render_body
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace


def rows(ws: Workspace, case_id: int) -> list[OutboxMessage]:
    with ws.database.read() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.case_id == case_id)
                .order_by(OutboxMessage.id)
            )
        )


def customer(zone: str | None = "America/New_York") -> dict[str, Any]:
    return {"ref": "NY-1", "name": "Nia", "email": "nia@example.org", "timezone": zone}


def test_a_customer_message_says_times_in_the_customers_zone(workspace: Workspace) -> None:
    case_id = open_case(workspace, priority="P1", customer=customer())["id"]
    workspace.clock.advance(minutes=20)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)

    written = rows(workspace, case_id)
    to_customer = next(row for row in written if row.kind == "notify_customer")
    to_staff = next(row for row in written if row.kind == "notify")

    assert to_customer.payload["case"]["timezone"] == "America/New_York"
    assert to_customer.payload["at"].endswith("-05:00")  # due 09:15 UTC: 04:15 in New York
    assert "T04:15:" in to_customer.payload["at"]
    # The critical SLA's calendar is UTC: staff read the calendar's zone.
    assert to_staff.payload["case"]["timezone"] == "UTC"
    assert to_staff.payload["at"].endswith("+00:00")
    assert "You will hear from us by Monday 30 November 2026, 05:15 EST." in render_body(
        to_customer.payload
    )


def test_without_a_zone_the_customer_reads_the_calendars(workspace: Workspace) -> None:
    case_id = open_case(workspace, priority="P1", customer=customer(None))["id"]
    workspace.clock.advance(minutes=20)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)

    to_customer = next(row for row in rows(workspace, case_id) if row.kind == "notify_customer")

    assert to_customer.payload["case"]["timezone"] == "UTC"


def test_the_zone_is_checked_and_can_be_changed(workspace: Workspace) -> None:
    refused = workspace.client.post(
        "/api/v1/cases",
        json={
            "customer": customer("Mars/Olympus_Mons"),
            "subject": "x",
            "body": "x",
            "channel": "email",
        },
        headers=workspace.headers("integration"),
    )
    assert refused.status_code == 422
    assert "'Mars/Olympus_Mons' is not a time zone" in refused.text
    for hostile in ("../../etc/passwd", "x" * 65, "localtime", "zone.tab", "UTC\x00"):
        body = {"customer": customer(hostile), "subject": "x", "body": "x", "channel": "email"}
        answer = workspace.client.post(
            "/api/v1/cases", json=body, headers=workspace.headers("integration")
        )
        assert answer.status_code == 422, hostile

    customer_id = open_case(workspace, customer=customer())["customer"]["id"]
    shown = workspace.client.get(f"/api/v1/customers/{customer_id}", headers=workspace.headers())
    assert shown.json()["timezone"] == "America/New_York"
    changed = workspace.client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"timezone": "Asia/Tokyo"},
        headers=workspace.headers("supervisor"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == "Asia/Tokyo"
    bad = workspace.client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"timezone": "Tokyo"},
        headers=workspace.headers("supervisor"),
    )
    assert bad.status_code == 422


def test_the_status_page_says_times_in_the_customers_zone(workspace: Workspace) -> None:
    case_id = open_case(workspace, customer=customer("Asia/Tokyo"))["id"]
    url = links.status_url(case_id, "", now=workspace.clock.now_us() / 1_000_000)

    page = workspace.client.get(url).text

    # Opened 10:00 in Berlin, first answer due four office hours later: 22:00 in Tokyo.
    assert "by Monday 30 November 2026, 22:00 JST" in page
    assert "Times are shown in Asia/Tokyo." in page
