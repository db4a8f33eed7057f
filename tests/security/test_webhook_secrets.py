"""Webhook secrets are sealed with the keys kept outside the database: the database holds no
secret, deliveries are still signed with it, a secret the keys cannot open makes deliveries wait
(never signed with anything else), and an admin can give a webhook a new secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from escalon import keys
from escalon.notifications.delivery import deliver_due
from escalon.notifications.models import Webhook
from escalon.notifications.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.builders.cases import open_case
from tests.builders.notifications import settings_for, use_webhook_policy
from tests.builders.workspace import Workspace
from tests.support.webhooks import Receiver

# The receiver listens on loopback.
WORKSPACE_SETTINGS: dict[str, Any] = {"webhook_allow_private": True}


def _stored(ws: Workspace) -> str:
    with ws.database.read() as session:
        return str(session.scalars(select(Webhook.secret_sealed)).one())


def test_deliveries_are_signed_with_the_secret_the_database_only_holds_sealed(
    workspace: Workspace, receiver: Receiver
) -> None:
    secret = use_webhook_policy(workspace, receiver)
    open_case(workspace)

    deliver_due(workspace.database, clock=workspace.clock, settings=settings_for(workspace))

    assert secret not in _stored(workspace)
    (request,) = receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert verify(
        secret, timestamp, request.body, request.headers[SIGNATURE_HEADER], now=int(timestamp)
    )


def test_a_secret_the_keys_cannot_open_waits_until_an_admin_replaces_it(
    workspace: Workspace, receiver: Receiver
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    # As after restoring a backup without its key file: sealed under keys this process lacks.
    with workspace.database.write() as session:
        session.execute(
            update(Webhook).values(secret_sealed=keys.Keyring.generate().seal("lost-secret-123"))
        )
    settings = settings_for(workspace)

    waited = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert waited.retried == 1
    assert "does not open" in waited.errors[0]
    assert receiver.requests == [], "nothing is sent unsigned or signed with another secret"

    replaced = workspace.client.post(
        "/api/v1/webhooks/ops/secret", json={}, headers=workspace.headers()
    )
    workspace.clock.advance(minutes=5)
    delivered = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert replaced.status_code == 200, replaced.text
    new_secret = replaced.json()["secret"]
    assert delivered.delivered == 1
    (request,) = receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert verify(
        new_secret, timestamp, request.body, request.headers[SIGNATURE_HEADER], now=int(timestamp)
    )
    trail = workspace.client.get(
        "/api/v1/admin/audit",
        params={"action": "webhook.secret_replaced"},
        headers=workspace.headers(),
    ).json()["entries"]
    assert [e["target"] for e in trail] == ["webhook:ops"]
    assert new_secret not in str(trail)


def test_only_admins_replace_a_webhook_secret(workspace: Workspace, receiver: Receiver) -> None:
    use_webhook_policy(workspace, receiver)
    before = _stored(workspace)

    answers = [
        workspace.client.post(
            "/api/v1/webhooks/ops/secret", json={"secret": "x" * 20}, headers=workspace.headers(r)
        ).status_code
        for r in ("supervisor", "agent", "integration")
    ]
    unknown = workspace.client.post(
        "/api/v1/webhooks/nope/secret", json={}, headers=workspace.headers()
    )
    short = workspace.client.post(
        "/api/v1/webhooks/ops/secret", json={"secret": "short"}, headers=workspace.headers()
    )

    assert answers == [403, 403, 403]
    assert unknown.status_code == 404
    assert short.status_code == 422
    assert _stored(workspace) == before
