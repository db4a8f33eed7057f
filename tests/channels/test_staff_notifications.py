"""Staff hear where they work: an in-app list per person, chat tools' incoming webhooks, and
e-mail that waits for working hours unless something has gone wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from escalon.config import Settings
from escalon.core.state import to_us
from escalon.notifications.delivery import deliver_due
from escalon.notifications.models import OutboxMessage
from escalon.worker.timers import tick
from tests.service.conftest import Workspace
from tests.service.test_cases_api import open_case
from tests.service.test_outbox import Receiver, receiver  # noqa: F401 (fixture)

STAFF_POLICY = """\
name: staff-test
version: 1
calendars:
  always: {timezone: UTC, hours: always}
priority:
  order: [P1, P2]
  default: P2
levels:
  - {name: frontline, team: frontline}
  - {name: supervisor, team: supervisors}
slas:
  - name: standard
    calendar: always
    targets: {first_response: 1h}
rules:
  - name: tell the team
    trigger: customer.message
    do:
      - notify: [level_team]
  - name: first response breached
    trigger: sla.breach
    metric: first_response
    do:
      - notify: [level_team, webhook:team-chat]
"""
OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
# The webhook receiver listens on 127.0.0.1: webhooks to it are allowed explicitly.
WORKSPACE_SETTINGS: dict[str, Any] = {"webhook_allow_private": True}
MINUTE = 60 * 1_000_000


def use_staff_policy(ws: Workspace) -> None:
    uploaded = ws.client.post(
        "/api/v1/policies",
        json={"source": STAFF_POLICY, "filename": "staff.yaml", "activate": True},
        headers=ws.headers(),
    )
    assert uploaded.status_code == 201, uploaded.text
    changed = ws.client.patch(
        "/api/v1/agents/ana",
        json={"timezone": "Europe/Berlin", "working_hours": OFFICE},
        headers=ws.headers(),
    )
    assert changed.status_code == 200, changed.text


def staff_mail(ws: Workspace) -> list[OutboxMessage]:
    with ws.database.read() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "notify", OutboxMessage.channel == "email")
                .order_by(OutboxMessage.id)
            )
        )


def customer_writes(ws: Workspace, case_id: int, body: str = "Any news?") -> None:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": body},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 201, response.text


def test_a_routine_notice_at_night_waits_for_the_recipients_working_hours(
    workspace: Workspace,
) -> None:
    use_staff_policy(workspace)
    workspace.clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # Tuesday 03:00 in Berlin
    case = open_case(workspace)
    customer_writes(workspace, case["id"])
    (mail,) = staff_mail(workspace)
    assert mail.address == "ana@example.org"
    assert mail.next_attempt_at == to_us(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 09:00 CET
    assert mail.payload["held_until_working_hours"] is True
    settings = Settings(database_url=workspace.database.url)
    deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    (held,) = staff_mail(workspace)
    assert (held.status, held.attempts) == ("pending", 0)


def test_an_urgent_notice_at_night_goes_out_at_once(workspace: Workspace) -> None:
    use_staff_policy(workspace)
    workspace.clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    open_case(workspace)
    due = workspace.clock.now_us() + 60 * MINUTE
    tick(workspace.database, now=due, batch=10)
    (mail,) = staff_mail(workspace)
    assert mail.payload["urgent"] is True
    assert mail.next_attempt_at == due


def test_people_reached_find_the_notice_in_their_in_app_list(workspace: Workspace) -> None:
    use_staff_policy(workspace)  # Monday 10:00 in Berlin: ana is at work
    case = open_case(workspace)
    customer_writes(workspace, case["id"])
    ana = workspace.headers("agent")
    page = workspace.client.get("/api/v1/me/notifications", headers=ana).json()
    assert page["unread"] == 1
    (item,) = page["items"]
    assert item["case_id"] == case["id"]
    assert item["subject"].startswith(f"#{case['id']} tell the team")
    assert not item["urgent"]
    read = workspace.client.post(f"/api/v1/me/notifications/{item['id']}/read", headers=ana)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert workspace.client.get("/api/v1/me/notifications?unread=true", headers=ana).json() == {
        "items": [],
        "unread": 0,
    }
    # Sara is not in the frontline team: nothing in her list, and nobody reads another's.
    sara = workspace.headers("supervisor")
    assert workspace.client.get("/api/v1/me/notifications", headers=sara).json()["unread"] == 0
    other = workspace.client.post(f"/api/v1/me/notifications/{item['id']}/read", headers=sara)
    assert other.status_code == 404


def test_a_user_without_an_agent_has_no_in_app_list(workspace: Workspace) -> None:
    response = workspace.client.get("/api/v1/me/notifications", headers=workspace.headers())
    assert response.status_code == 409
    assert "not linked to an agent" in response.json()["message"]


def test_a_slack_webhook_gets_blocks_with_the_message_as_text_too(
    workspace: Workspace,
    receiver: Receiver,  # noqa: F811 (fixture)
) -> None:
    created = workspace.client.post(
        "/api/v1/webhooks",
        json={"name": "team-chat", "url": receiver.url, "format": "slack"},
        headers=workspace.headers(),
    )
    assert created.status_code == 201, created.text
    assert created.json()["format"] == "slack"
    use_staff_policy(workspace)
    open_case(workspace)
    workspace.clock.advance(minutes=60)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)
    settings = Settings(database_url=workspace.database.url, **WORKSPACE_SETTINGS)
    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert report.errors == []
    (request,) = receiver.requests
    document: dict[str, Any] = json.loads(request.body)
    assert {"text", "blocks"} <= set(document)
    assert "first response" in document["text"]
    assert "Printer on fire" in document["text"]
