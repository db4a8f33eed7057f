"""Webhooks cannot be aimed inside the network Escalon runs in (loopback, private, link-local,
metadata services), neither when they are created nor by DNS answering differently later; and a
receiver's answer is shown to admins only. Each test plays the attack first."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from escalon.api.app import create_app
from escalon.config import Settings
from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.notifications.delivery import deliver_due
from escalon.notifications.models import OutboxMessage, Webhook
from escalon.notifications.transports import (
    DeliveryFailed,
    Outgoing,
    WebhookTarget,
    WebhookTransport,
)
from tests.builders.cases import open_case
from tests.builders.notifications import WEBHOOK_POLICY
from tests.builders.workspace import Workspace
from tests.support.postgres import scratch_database

PUBLIC = "93.184.215.14"
SECRET_ANSWER = "stack trace: password=hunter2 at db.internal:5432"


class FakeDns:
    """Answers for chosen host names (each lookup takes the next answer; the last repeats);
    every other name goes to the real resolver."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: list[str] = []

    def set(self, name: str, *answers: list[str]) -> None:
        """What `name` resolves to, lookup after lookup."""
        self.answers[name] = list(answers)

    def lookup(self, name: str, port: int) -> list[Any] | None:
        """The getaddrinfo answer for a chosen name, else None."""
        if name not in self.answers:
            return None
        self.asked.append(name)
        queue = self.answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    """The process's name lookups, answered by the test for its own names."""
    fake = FakeDns()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        answer = fake.lookup(name.rstrip(".").lower(), int(port or 0))
        return answer if answer is not None else real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


class Receiver:
    """An HTTP server on 127.0.0.1 that records POSTs and answers with `status` and `answer`."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.status = 200
        self.answer = b'{"ok": true}'
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.paths.append(self.path)
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback: what an attacker would aim at (an internal service)."""
    found = Receiver()
    found.thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def create(client: TestClient, ws: Workspace, url: str, **fields: Any) -> httpx.Response:
    """POST /webhooks as an admin."""
    response: httpx.Response = client.post(
        "/api/v1/webhooks", json={"name": "ops", "url": url, **fields}, headers=ws.headers()
    )
    return response


def notify_ops(ws: Workspace) -> None:
    """Activate the policy that tells webhook `ops` about every new case, and open one."""
    uploaded = ws.client.post(
        "/api/v1/policies",
        json={"source": WEBHOOK_POLICY, "filename": "webhook.yaml", "activate": True},
        headers=ws.headers(),
    )
    assert uploaded.status_code == 201, uploaded.text
    open_case(ws)


def webhook_row(ws: Workspace) -> OutboxMessage:
    """The outbox row for webhook `ops`."""
    with ws.database.read() as session:
        (row,) = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        return row


def delivery_settings(ws: Workspace, **overrides: Any) -> Settings:
    """Delivery with the default rule (no private targets) unless overridden."""
    return Settings(database_url=ws.database.url, **overrides)


def allowing_app(ws: Workspace) -> TestClient:
    """The same API, started with ESCALON_WEBHOOK_ALLOW_PRIVATE."""
    settings = Settings(database_url=ws.database.url, webhook_allow_private=True)
    app = create_app(settings=settings, database=ws.database, clock=ws.clock)
    return TestClient(app, raise_server_exceptions=False)


# -- creation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.5/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("http://[fd00::1]/hook", "unique local"),
        ("http://100.64.0.1/hook", "carrier-grade NAT"),
        ("http://0.0.0.0:5432/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
        ("http://localhost:9200/", "loopback"),
    ],
)
def test_a_webhook_to_a_non_public_address_is_refused_when_created(
    workspace: Workspace, url: str, reason: str
) -> None:
    response = create(workspace.client, workspace, url)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid"
    assert reason in body["message"]
    assert body["details"][0]["field"] == "body.url"
    with workspace.database.read() as session:
        assert session.scalars(select(Webhook)).first() is None


def test_a_chat_tool_webhook_to_a_private_address_is_refused_too(workspace: Workspace) -> None:
    response = create(workspace.client, workspace, "http://10.1.2.3/hooks/T0", format="slack")
    assert response.status_code == 422, response.text


def test_a_webhook_to_a_name_that_resolves_to_loopback_is_refused_when_created(
    workspace: Workspace, dns: FakeDns
) -> None:
    dns.set("hooks.example.test", ["127.0.0.1"])
    response = create(workspace.client, workspace, "https://hooks.example.test/escalon")
    assert response.status_code == 422, response.text
    assert "hooks.example.test resolves to 127.0.0.1" in response.json()["message"]


def test_a_webhook_to_a_name_with_any_private_address_is_refused(
    workspace: Workspace, dns: FakeDns
) -> None:
    dns.set("hooks.example.test", [PUBLIC, "10.0.0.7"])
    response = create(workspace.client, workspace, "https://hooks.example.test/escalon")
    assert response.status_code == 422, response.text
    assert "10.0.0.7" in response.json()["message"]


def test_a_webhook_to_a_public_name_is_created(workspace: Workspace, dns: FakeDns) -> None:
    dns.set("hooks.example.test", [PUBLIC])
    response = create(workspace.client, workspace, "https://hooks.example.test/escalon")
    assert response.status_code == 201, response.text


def test_private_webhooks_are_created_when_the_setting_allows_them(
    workspace: Workspace, receiver: Receiver
) -> None:
    with allowing_app(workspace) as client:
        url = f"http://127.0.0.1:{receiver.port}/hook"
        assert create(client, workspace, url).status_code == 201
    notify_ops(workspace)
    settings = delivery_settings(workspace, webhook_allow_private=True)
    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert report.delivered >= 1
    assert receiver.paths == ["/hook"]


# -- delivery ---------------------------------------------------------------------------------------


def test_a_name_that_resolves_to_a_private_address_after_creation_gets_nothing(
    workspace: Workspace, dns: FakeDns, receiver: Receiver
) -> None:
    dns.set("hooks.example.test", [PUBLIC])
    url = f"http://hooks.example.test:{receiver.port}/hook"
    assert create(workspace.client, workspace, url).status_code == 201
    notify_ops(workspace)
    dns.set("hooks.example.test", ["127.0.0.1"])  # the attacker's DNS changes its answer

    deliver_due(workspace.database, clock=workspace.clock, settings=delivery_settings(workspace))

    assert receiver.paths == []
    row = webhook_row(workspace)
    assert row.status == "dead"
    assert row.last_error is not None
    assert "resolves to 127.0.0.1, which is a loopback address" in row.last_error


def test_a_delivery_connects_to_the_address_it_checked_whatever_dns_says_next(
    dns: FakeDns,
) -> None:
    # DNS rebinding: public for the check, loopback for a second lookup that never happens.
    dns.set("hooks.example.test", [PUBLIC], ["127.0.0.1"])
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = WebhookTransport(
        {"ops": WebhookTarget("https://hooks.example.test:8443/in?x=1", "s" * 32)},
        timeout=1,
        clock_seconds=lambda: 1_700_000_000,
        transport=httpx.MockTransport(answer),
    )
    assert transport.send(_outgoing()) == "webhook"
    (request,) = seen
    assert request.url.host == PUBLIC
    assert (request.url.port, request.url.raw_path) == (8443, b"/in?x=1")
    assert request.headers["Host"] == "hooks.example.test:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.test"  # TLS checks the name
    assert dns.asked == ["hooks.example.test"]


def test_a_redirect_from_a_webhook_is_not_followed(dns: FakeDns) -> None:
    dns.set("hooks.example.test", [PUBLIC])
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": "http://169.254.169.254/latest/"})

    transport = WebhookTransport(
        {"ops": WebhookTarget("https://hooks.example.test/in", "s" * 32)},
        timeout=1,
        clock_seconds=lambda: 1_700_000_000,
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(DeliveryFailed, match="answered 307"):
        transport.send(_outgoing())
    assert len(seen) == 1


def _outgoing() -> Outgoing:
    return Outgoing(
        id=1,
        key="k" * 64,
        channel="webhook",
        address="ops",
        subject="A case",
        body="",
        payload={"type": "escalon.test"},
        attempt=1,
    )


# -- what the receiver answered -------------------------------------------------------------------


def test_a_receiver_s_answer_is_shown_to_admins_only_and_never_logged(
    workspace: Workspace, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.status = 500
    receiver.answer = SECRET_ANSWER.encode()
    url = f"http://127.0.0.1:{receiver.port}/hooks/T000/B000/XXXX"  # a chat tool's secret URL
    with allowing_app(workspace) as client:
        assert create(client, workspace, url).status_code == 201
    notify_ops(workspace)
    settings = delivery_settings(workspace, webhook_allow_private=True)
    with caplog.at_level(logging.DEBUG):
        report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert report.retried == 1

    supervisor = workspace.client.get(
        "/api/v1/outbox?status=pending", headers=workspace.headers("supervisor")
    ).json()
    (seen,) = [row for row in supervisor if row["channel"] == "webhook"]
    assert "500" in seen["last_error"]
    assert "hunter2" not in seen["last_error"]
    assert "XXXX" not in seen["last_error"]  # nor the webhook's URL
    assert seen["last_response"] is None
    admin = workspace.client.get("/api/v1/outbox?status=pending", headers=workspace.headers())
    (shown,) = [row for row in admin.json() if row["channel"] == "webhook"]
    assert shown["last_response"] == SECRET_ANSWER
    assert "hunter2" not in caplog.text
    assert all("hunter2" not in error for error in report.errors)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of each kind with nothing in it, to migrate step by step."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield db
        db.dispose()
        return
    with scratch_database("escalon_webhook_errors") as url:
        db = Database(url, pool_size=2)
        yield db
        db.dispose()


def test_answers_stored_before_the_upgrade_move_out_of_the_supervisors_sight(
    empty_database: Database,
) -> None:
    upgrade(empty_database, "0010")
    old_error = f"POST https://hooks.example.org/T0/SECRET answered 500: {SECRET_ANSWER!r}"
    with empty_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (key, kind, channel, recipient, address, subject, body, "
                "payload, status, attempts, last_error, created_at) VALUES ('k', 'notify', "
                "'webhook', 'webhook:ops', 'ops', '', '', '{}', 'dead', 8, :error, 1)"
            ),
            {"error": old_error},
        )

    upgrade(empty_database)

    with empty_database.engine.connect() as connection:
        error, response = connection.execute(
            text("SELECT last_error, last_response FROM outbox")
        ).one()
    assert "hunter2" not in error
    assert "SECRET" not in error
    assert response == old_error
