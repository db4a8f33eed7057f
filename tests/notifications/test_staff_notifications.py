"""Staff hear where they work: an in-app list per person, chat tools' incoming webhooks, and
e-mail that waits for working hours unless something has gone wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from escalon.config import Settings
from escalon.core.state import to_us
from escalon.notifications.delivery import deliver_due
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.notifications import (
    LOOPBACK_WEBHOOKS,
    customer_writes,
    staff_mail,
    use_staff_policy,
)
from tests.builders.workspace import Workspace
from tests.support.webhooks import Receiver

# The webhook receiver listens on 127.0.0.1: webhooks to it are allowed explicitly.
WORKSPACE_SETTINGS = LOOPBACK_WEBHOOKS
MINUTE = 60 * 1_000_000


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
    receiver: Receiver,
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
