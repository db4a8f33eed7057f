"""Notification set-ups and what they leave in the outbox: the settings of a workspace whose
webhook receiver is on loopback, outbox rows, and a policy that notifies staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from escalon.config import Settings
from escalon.notifications.models import OutboxMessage
from tests.builders.people import OFFICE
from tests.builders.workspace import Workspace
from tests.support.webhooks import Receiver

# The webhook receivers listen on 127.0.0.1: webhooks to them are allowed explicitly (the rule
# against private addresses is tested in tests/security/test_webhook_targets.py).
LOOPBACK_WEBHOOKS: dict[str, Any] = {"webhook_allow_private": True}

# A policy whose only rule tells the `ops` webhook about every new case.
WEBHOOK_POLICY = """\
name: webhook-test
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
  - name: tell ops
    trigger: case.opened
    do:
      - notify: [webhook:ops]
"""


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


def settings_for(ws: Workspace, **overrides: Any) -> Settings:
    """Delivery settings over the workspace's database (the webhook receiver is on loopback)."""
    return Settings(database_url=ws.database.url, **{**LOOPBACK_WEBHOOKS, **overrides})


def outbox(ws: Workspace, **where: Any) -> list[OutboxMessage]:
    """Outbox rows, by id, filtered by column values."""
    with ws.database.read() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(query))


def use_staff_policy(ws: Workspace) -> None:
    """Activate STAFF_POLICY; ana works office hours in Berlin."""
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
    """The notices e-mailed to staff, oldest first."""
    with ws.database.read() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "notify", OutboxMessage.channel == "email")
                .order_by(OutboxMessage.id)
            )
        )


def customer_writes(ws: Workspace, case_id: int, body: str = "Any news?") -> None:
    """The customer adds a message to the case."""
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": body},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 201, response.text


def use_webhook_policy(ws: Workspace, receiver: Receiver) -> str:
    """Create the `ops` webhook at the receiver and activate a policy that notifies it.

    Returns the signing secret, which the API shows only in this answer.
    """
    created = ws.client.post(
        "/api/v1/webhooks", json={"name": "ops", "url": receiver.url}, headers=ws.headers()
    )
    assert created.status_code == 201, created.text
    secret = str(created.json()["secret"])
    uploaded = ws.client.post(
        "/api/v1/policies",
        json={"source": WEBHOOK_POLICY, "filename": "webhook.yaml", "activate": True},
        headers=ws.headers(),
    )
    assert uploaded.status_code == 201, uploaded.text
    return secret
