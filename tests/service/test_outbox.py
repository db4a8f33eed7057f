"""Outbox delivery for real: e-mail to a local SMTP server, signed webhooks to a local HTTP
receiver, retries with backoff, dead letters, and redelivery after a crash."""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from escalon.config import Settings
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
from tests.service.conftest import Workspace

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


@pytest.fixture(autouse=True)
def policy_messages_only(workspace: Workspace) -> Iterator[None]:
    """These tests follow the policy's notifications: the customer's automatic acknowledgement
    and resolution messages (tested in tests/channels) are switched off around them."""
    info = workspace.database.info
    wanted = CustomerMessages.of_info(info)
    replace(wanted, acknowledgement=False, resolution=False, follow_up_hours=0).install(info)
    yield
    wanted.install(info)


# -- a real SMTP server -------------------------------------------------------------------------


@dataclass
class Mail:
    """One e-mail the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that keeps every accepted e-mail; `replies` answer DATA in turn."""

    received: list[Mail] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Accept (and keep) the message, or answer the next queued reply."""
        if self.replies:
            return self.replies.pop(0)
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=default_policy)
        self.received.append(
            Mail(str(envelope.mail_from), [str(rcpt) for rcpt in envelope.rcpt_tos], message)
        )
        return "250 OK"


@dataclass
class SmtpServer:
    """A running SMTP server on 127.0.0.1."""

    host: str
    port: int
    recorder: SmtpRecorder


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server in this process (its own thread and event loop) that records e-mails."""
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, recorder)
    finally:
        controller.stop()


# The webhook receiver listens on 127.0.0.1: webhooks to it are allowed explicitly (the rule
# against private addresses is tested in tests/security/test_webhook_targets.py).
WORKSPACE_SETTINGS: dict[str, Any] = {"webhook_allow_private": True}


# -- a real HTTP receiver -----------------------------------------------------------------------


@dataclass
class Request:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1; `statuses` answer requests in turn (then 200)."""

    url: str
    requests: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server in a thread that records every POST and answers as told."""
    found = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = found.statuses.pop(0) if found.statuses else 200
            found.requests.append(Request(self.path, dict(self.headers.items()), body))
            answer = b'{"ok": true}' if status < 300 else b"not now"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/escalon"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- helpers ------------------------------------------------------------------------------------


def settings_for(ws: Workspace, **overrides: Any) -> Settings:
    """Delivery settings over the workspace's database (the webhook receiver is on loopback)."""
    return Settings(database_url=ws.database.url, **{**WORKSPACE_SETTINGS, **overrides})


def open_case(ws: Workspace, **fields: Any) -> dict[str, Any]:
    """Open a standard case for Kim through the API."""
    body = {
        "customer": {"ref": "K-1", "name": "Kim", "email": "kim@example.org", "tier": "standard"},
        "subject": "Printer on fire",
        "body": "The printer is on fire.",
        "channel": "email",
        **fields,
    }
    response = ws.client.post("/api/v1/cases", json=body, headers=ws.headers("integration"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def ask_for_a_manager(ws: Workspace, case_id: int) -> None:
    """A customer message that the example policy answers with `notify_customer: escalated`."""
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": "This is useless, I want to speak to a manager."},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 201, response.text


def outbox(ws: Workspace, **where: Any) -> list[OutboxMessage]:
    """Outbox rows, by id, filtered by column values."""
    with ws.database.read() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(query))


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
