"""Outbox delivery for real: e-mail to a local SMTP server, signed webhooks to a local HTTP
receiver, retries with backoff, dead letters, and redelivery after a crash."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from escalon.notifications.delivery import US, claim, deliver_due
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import CustomerMessages
from escalon.notifications.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from escalon.notifications.transports import EmailTransport
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.notifications import LOOPBACK_WEBHOOKS, outbox, settings_for, use_webhook_policy
from tests.builders.workspace import Workspace
from tests.support.network import free_port
from tests.support.smtp import SmtpServer
from tests.support.webhooks import Receiver


@pytest.fixture(autouse=True)
def policy_messages_only(workspace: Workspace) -> Iterator[None]:
    """These tests follow the policy's notifications: the customer's automatic acknowledgement
    and resolution messages (tested in test_customer_messages.py) are switched off around them."""
    info = workspace.database.info
    wanted = CustomerMessages.of_info(info)
    replace(wanted, acknowledgement=False, resolution=False, follow_up_hours=0).install(info)
    yield
    wanted.install(info)


# The webhook receiver listens on 127.0.0.1: webhooks to it are allowed explicitly (the rule
# against private addresses is tested in tests/security/test_webhook_targets.py).
WORKSPACE_SETTINGS = LOOPBACK_WEBHOOKS


# -- helpers ------------------------------------------------------------------------------------


def ask_for_a_manager(ws: Workspace, case_id: int) -> None:
    """A customer message that the example policy answers with `notify_customer: escalated`."""
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": "This is useless, I want to speak to a manager."},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 201, response.text


def webhook_message(ws: Workspace) -> OutboxMessage:
    """The one outbox row for the `ops` webhook."""
    (message,) = outbox(ws, channel="webhook")
    return message


class Midpoint(random.Random):
    """Backoff without jitter: always the middle of the range."""

    def uniform(self, a: float, b: float) -> float:
        """The midpoint."""
        return (a + b) / 2


# -- e-mail -------------------------------------------------------------------------------------


def test_a_customer_asking_for_a_manager_gets_an_email_over_smtp(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    settings = settings_for(
        workspace,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        mail_from="help@acme.test",
    )

    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    (row,) = outbox(workspace, kind="notify_customer")
    (mail,) = smtp_server.recorder.received
    assert mail.mail_from == "help@acme.test"
    assert mail.rcpt_tos == ["kim@example.org"]
    assert mail.message["To"] == "kim@example.org"
    assert mail.message["Subject"] == f"[#{case['id']}] Printer on fire"
    assert mail.message["X-Escalon-Idempotency-Key"] == row.key
    # The Message-ID stored on the row: random, not derived from the key.
    assert mail.message["Message-ID"] == row.message_id
    assert row.key not in str(row.message_id)
    content = mail.message.get_content()
    assert "now handled by our supervisors team" in content
    assert row.status == "delivered"
    assert row.transport == "smtp"
    assert row.attempts == 1
    assert row.delivered_at == workspace.clock.now_us()
    assert row.next_attempt_at is None


def test_a_first_response_breach_emails_every_member_of_the_new_level_team(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    added = workspace.client.post(
        "/api/v1/agents",
        json={
            "handle": "sam",
            "name": "Sam",
            "email": "sam@example.org",
            "level": "supervisor",
            "teams": ["supervisors"],
        },
        headers=workspace.headers(),
    )
    assert added.status_code == 201, added.text
    case = open_case(workspace)
    # Standard SLA: 4 business hours from Monday 10:00 Berlin, so due at 14:00 Berlin.
    workspace.clock.advance(hours=4, minutes=1)
    ticked = tick(workspace.database, now=workspace.clock.now_us(), batch=10)
    assert ticked.escalations == 1
    settings = settings_for(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)

    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    staff = outbox(workspace, kind="notify")
    assert sorted(row.address for row in staff) == ["sam@example.org", "sara@example.org"]
    assert report.delivered == len(staff) + 1  # and the customer's notice
    by_address = {mail.rcpt_tos[0]: mail.message for mail in smtp_server.recorder.received}
    expected_subject = f"#{case['id']} first response breached - Printer on fire (P3)"
    for row in staff:
        mail = by_address[row.address]
        assert mail["To"] == row.address
        assert mail["Subject"] == expected_subject
        assert mail["X-Escalon-Idempotency-Key"] == row.key
        assert mail["Message-ID"] == row.message_id
    assert len({row.key for row in staff}) == 2
    assert {row.status for row in outbox(workspace)} == {"delivered"}
    assert {row.transport for row in outbox(workspace)} == {"smtp"}


def test_a_redelivered_email_keeps_its_message_id(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    settings = settings_for(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    lease = settings.outbox_lease_seconds
    # The first copy goes out but its outcome is never recorded (the process died).
    (first,) = claim(
        workspace.database, now=workspace.clock.now_us(), limit=10, lease_us=round(lease * US)
    )
    assert EmailTransport(settings).send(first) == "smtp"
    workspace.clock.advance(seconds=lease)

    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.delivered == 1
    ids = [mail.message["Message-ID"] for mail in smtp_server.recorder.received]
    assert len(ids) == 2
    assert ids[0] == ids[1]


def test_without_an_smtp_host_emails_are_written_to_the_log_and_count_as_delivered(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    settings = settings_for(workspace, smtp_host=None)

    with caplog.at_level(logging.INFO, logger="escalon.outbox"):
        report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.delivered == 1
    (row,) = outbox(workspace, kind="notify_customer")
    assert row.channel == "email"
    assert row.status == "delivered"
    assert row.transport == "log"
    logged = [record.getMessage() for record in caplog.records if record.name == "escalon.outbox"]
    assert any("kim@example.org" in line and row.key[:12] in line for line in logged)


def test_a_customer_without_an_email_address_is_told_through_the_log(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace, customer={"ref": "K-2", "name": "Lee"})
    ask_for_a_manager(workspace, case["id"])
    settings = settings_for(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)

    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.delivered == 1
    (row,) = outbox(workspace, kind="notify_customer")
    assert (row.channel, row.address, row.status, row.transport) == (
        "log",
        "log",
        "delivered",
        "log",
    )
    assert "no e-mail address" in row.payload["note"]
    assert smtp_server.recorder.received == []


@pytest.mark.parametrize(
    ("reply", "status", "attempts_left"),
    [("451 4.3.0 try again later", "pending", True), ("550 5.1.1 no such user", "dead", False)],
)
def test_smtp_refusals_are_retried_when_temporary_and_dead_when_permanent(
    workspace: Workspace,
    smtp_server: SmtpServer,
    reply: str,
    status: str,
    attempts_left: bool,
) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    smtp_server.recorder.replies.append(reply)
    settings = settings_for(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)

    deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    (row,) = outbox(workspace, kind="notify_customer")
    assert row.status == status
    assert row.last_error is not None
    assert reply[:3] in row.last_error
    assert (row.next_attempt_at is not None) == attempts_left
    assert smtp_server.recorder.received == []


def test_an_unreachable_smtp_server_is_retried(workspace: Workspace) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    settings = settings_for(workspace, smtp_host="127.0.0.1", smtp_port=free_port())

    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.retried == 1
    (row,) = outbox(workspace, kind="notify_customer")
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_error is not None


# -- webhooks -----------------------------------------------------------------------------------


def test_a_webhook_receives_the_signed_json_payload(
    workspace: Workspace, receiver: Receiver
) -> None:
    secret = use_webhook_policy(workspace, receiver)
    case = open_case(workspace)
    settings = settings_for(workspace)

    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.delivered == 1
    (request,) = receiver.requests
    message = webhook_message(workspace)
    assert request.path == "/hooks/escalon"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers[IDEMPOTENCY_HEADER] == message.key
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert int(timestamp) == workspace.clock.now_us() // US
    signature = request.headers[SIGNATURE_HEADER]
    now = int(timestamp)
    assert verify(secret, timestamp, request.body, signature, now=now)
    payload = json.loads(request.body)
    assert payload["id"] == message.key
    assert payload["type"] == "escalon.notify"
    assert payload["rule"] == "tell ops"
    assert payload["trigger"] == "case.opened"
    assert payload["recipient"] == "webhook:ops"
    assert payload["case"]["id"] == case["id"]
    assert payload["case"]["subject"] == "Printer on fire"
    assert message.status == "delivered"
    assert message.transport == "webhook"


def test_a_webhook_signature_fails_for_a_tampered_body_an_old_timestamp_or_another_secret(
    workspace: Workspace, receiver: Receiver
) -> None:
    secret = use_webhook_policy(workspace, receiver)
    open_case(workspace)
    deliver_due(workspace.database, clock=workspace.clock, settings=settings_for(workspace))
    (request,) = receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER]
    signature = request.headers[SIGNATURE_HEADER]
    now = int(timestamp)
    tampered = request.body.replace(b"Printer on fire", b"Printer is fine")
    assert tampered != request.body

    assert verify(secret, timestamp, request.body, signature, now=now)
    assert not verify(secret, timestamp, tampered, signature, now=now)
    assert not verify(secret, timestamp, request.body, signature, now=now + 301)
    assert not verify(secret, str(now - 1), request.body, signature, now=now)
    assert not verify("another-secret-entirely", timestamp, request.body, signature, now=now)


def test_the_webhook_secret_is_shown_once_and_never_listed(
    workspace: Workspace, receiver: Receiver
) -> None:
    created = workspace.client.post(
        "/api/v1/webhooks",
        json={"name": "ops", "url": receiver.url, "secret": "s" * 20},
        headers=workspace.headers(),
    )
    again = workspace.client.post(
        "/api/v1/webhooks", json={"name": "ops", "url": receiver.url}, headers=workspace.headers()
    )
    listed = workspace.client.get("/api/v1/webhooks", headers=workspace.headers())
    assert created.status_code == 201
    assert created.json()["secret"] == "s" * 20
    assert again.status_code == 409
    assert listed.status_code == 200
    assert [hook["name"] for hook in listed.json()] == ["ops"]
    assert "secret" not in listed.json()[0]
    assert "s" * 20 not in listed.text


def test_a_webhook_answering_500_is_retried_after_the_backoff_and_then_delivered(
    workspace: Workspace, receiver: Receiver
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    receiver.statuses.append(500)
    settings = settings_for(workspace, outbox_backoff_seconds=5)
    failed_at = workspace.clock.now_us()

    failed = deliver_due(
        workspace.database, clock=workspace.clock, settings=settings, rng=Midpoint()
    )

    assert failed.retried == 1
    message = webhook_message(workspace)
    assert message.status == "pending"
    assert message.attempts == 1
    assert message.last_error is not None
    assert "500" in message.last_error
    assert message.next_attempt_at == failed_at + 5 * US
    # Not due yet: nothing is sent.
    workspace.clock.advance(seconds=4)
    early = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert early.claimed == 0
    assert len(receiver.requests) == 1

    workspace.clock.advance(seconds=1)
    retried = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert retried.delivered == 1
    message = webhook_message(workspace)
    assert message.status == "delivered"
    assert message.attempts == 2
    assert message.last_error is None
    first, second = receiver.requests
    assert first.headers[IDEMPOTENCY_HEADER] == second.headers[IDEMPOTENCY_HEADER] == message.key
    assert second.headers["X-Escalon-Attempt"] == "2"


def test_the_backoff_doubles_with_each_failure(workspace: Workspace, receiver: Receiver) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    receiver.statuses.extend([503, 503, 503])
    settings = settings_for(workspace, outbox_backoff_seconds=5, outbox_backoff_max_seconds=15)
    delays = []
    for _ in range(3):
        before = workspace.clock.now_us()
        assert (
            deliver_due(
                workspace.database, clock=workspace.clock, settings=settings, rng=Midpoint()
            ).retried
            == 1
        )
        due = webhook_message(workspace).next_attempt_at
        assert due is not None
        delays.append((due - before) / US)
        workspace.clock.set(due)
    assert delays == [5, 10, 15]  # 20 is capped at the maximum


@pytest.mark.parametrize("answer", [400, 410])
def test_a_webhook_refusing_with_a_client_error_is_dead_at_once(
    workspace: Workspace, receiver: Receiver, answer: int
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    receiver.statuses.append(answer)

    report = deliver_due(
        workspace.database, clock=workspace.clock, settings=settings_for(workspace)
    )

    assert report.dead == 1
    message = webhook_message(workspace)
    assert message.status == "dead"
    assert message.attempts == 1
    assert message.next_attempt_at is None
    assert message.last_error is not None
    assert str(answer) in message.last_error


@pytest.mark.parametrize("answer", [408, 429, 503])
def test_a_webhook_asking_to_come_back_later_is_retried(
    workspace: Workspace, receiver: Receiver, answer: int
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    receiver.statuses.append(answer)

    report = deliver_due(
        workspace.database, clock=workspace.clock, settings=settings_for(workspace)
    )

    assert report.retried == 1
    message = webhook_message(workspace)
    assert message.status == "pending"
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > workspace.clock.now_us()


def test_a_message_is_dead_once_it_has_used_every_attempt(
    workspace: Workspace, receiver: Receiver
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    receiver.statuses.extend([500, 502, 503])
    settings = settings_for(workspace, outbox_max_attempts=3)
    outcomes = []
    for _ in range(3):
        report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
        outcomes.append((report.retried, report.dead))
        workspace.clock.advance(hours=2)

    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    message = webhook_message(workspace)
    assert message.status == "dead"
    assert message.attempts == 3
    assert message.last_error is not None
    assert "503" in message.last_error
    assert len(receiver.requests) == 3
    later = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert later.claimed == 0


def test_dead_letters_are_listed_and_an_admin_can_send_them_again(
    workspace: Workspace, receiver: Receiver
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    receiver.statuses.append(410)
    deliver_due(workspace.database, clock=workspace.clock, settings=settings_for(workspace))
    message = webhook_message(workspace)

    dead = workspace.client.get(
        "/api/v1/outbox?status=dead", headers=workspace.headers("supervisor")
    )
    pending = workspace.client.get(
        "/api/v1/outbox?status=pending", headers=workspace.headers("supervisor")
    )
    assert dead.status_code == 200
    assert [(m["id"], m["status"], m["key"]) for m in dead.json()] == [
        (message.id, "dead", message.key)
    ]
    assert "410" in dead.json()[0]["last_error"]
    assert pending.json() == []

    refused = workspace.client.post(
        f"/api/v1/outbox/{message.id}/retry", headers=workspace.headers("supervisor")
    )
    assert refused.status_code == 403
    workspace.clock.advance(minutes=10)
    retried = workspace.client.post(
        f"/api/v1/outbox/{message.id}/retry", headers=workspace.headers()
    )
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0
    assert retried.json()["next_attempt_at"] == "2026-11-30T09:10:00Z"

    report = deliver_due(
        workspace.database, clock=workspace.clock, settings=settings_for(workspace)
    )

    assert report.delivered == 1
    assert webhook_message(workspace).status == "delivered"
    assert [r.headers[IDEMPOTENCY_HEADER] for r in receiver.requests] == [message.key] * 2
    again = workspace.client.post(f"/api/v1/outbox/{message.id}/retry", headers=workspace.headers())
    assert again.status_code == 409
    assert "delivered, not dead" in again.json()["message"]


def test_retrying_a_pending_or_unknown_message_is_refused(workspace: Workspace) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    (row,) = outbox(workspace)

    pending = workspace.client.post(f"/api/v1/outbox/{row.id}/retry", headers=workspace.headers())
    unknown = workspace.client.post("/api/v1/outbox/99999/retry", headers=workspace.headers())

    assert pending.status_code == 409
    assert "pending, not dead" in pending.json()["message"]
    assert unknown.status_code == 404


def test_a_webhook_deactivated_after_the_message_was_queued_kills_the_message(
    workspace: Workspace, receiver: Receiver
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    gone = workspace.client.delete("/api/v1/webhooks/ops", headers=workspace.headers())
    assert gone.status_code == 200
    assert gone.json()["active"] is False

    report = deliver_due(
        workspace.database, clock=workspace.clock, settings=settings_for(workspace)
    )

    assert report.dead == 1
    assert receiver.requests == []
    assert "no active webhook named 'ops'" in (webhook_message(workspace).last_error or "")


# -- at least once ------------------------------------------------------------------------------


def test_a_message_claimed_but_never_recorded_is_claimed_again_after_the_lease(
    workspace: Workspace, receiver: Receiver
) -> None:
    use_webhook_policy(workspace, receiver)
    open_case(workspace)
    settings = settings_for(workspace, outbox_lease_seconds=60)
    lease_us = round(settings.outbox_lease_seconds * US)
    # A process claims the message, sends it, and dies before recording the outcome.
    (claimed,) = claim(
        workspace.database, now=workspace.clock.now_us(), limit=10, lease_us=lease_us
    )
    assert claimed.attempt == 1

    # While the lease runs, nobody else takes it.
    workspace.clock.advance(seconds=59)
    assert (
        claim(workspace.database, now=workspace.clock.now_us(), limit=10, lease_us=lease_us) == []
    )
    assert deliver_due(workspace.database, clock=workspace.clock, settings=settings).claimed == 0

    workspace.clock.advance(seconds=1)
    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.delivered == 1
    (request,) = receiver.requests
    assert request.headers[IDEMPOTENCY_HEADER] == claimed.key
    assert request.headers["X-Escalon-Attempt"] == "2"
    message = webhook_message(workspace)
    assert message.key == claimed.key
    assert message.status == "delivered"
    assert message.attempts == 2


def test_a_delivered_message_is_never_claimed_again(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    ask_for_a_manager(workspace, case["id"])
    settings = settings_for(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    workspace.clock.advance(hours=24)
    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    assert report.claimed == 0
    assert len(smtp_server.recorder.received) == 1
