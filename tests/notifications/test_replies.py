"""An agent's reply reaches the customer: through the outbox, on the case's own channel, in the
customer's e-mail thread, from the team's support address, once however often it is retried;
the reply's delivery state is on the case's messages. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from escalon.channels.mail import receive_email
from escalon.config import Settings
from escalon.notifications import replies
from escalon.notifications.delivery import deliver_due
from tests.builders.cases import open_case
from tests.builders.mail import mail
from tests.builders.notifications import outbox
from tests.builders.workspace import Workspace
from tests.support.network import free_port
from tests.support.smtp import SmtpServer
from tests.support.webhooks import Receiver

PUBLIC = "https://help.test"
# Tricky on purpose: non-ASCII, a line that looks like a header, a lone dot, "From " at a line's
# start, trailing spaces and a very long line: the customer must read exactly this.
TEXT = (
    "Hallo Kim, the new part ships today.\n"
    "Bcc: evil@example.net\n"
    ".\n"
    "From here on it is fine.  \n"
    "Grüße, ça va? " + "x" * 200 + "\n"
    "Ana"
)


# The app takes its settings at start: the public address its customer links carry.
WORKSPACE_SETTINGS: dict[str, Any] = {"webhook_allow_private": True, "public_url": PUBLIC}


def deliver(ws: Workspace, server: SmtpServer | None = None) -> None:
    settings = Settings(
        database_url=ws.database.url,
        smtp_host=server.host if server else None,
        smtp_port=server.port if server else 25,
        mail_from="Escalon <escalon@help.test>",
        webhook_allow_private=True,
    )
    deliver_due(ws.database, clock=ws.clock, settings=settings)


def mailed_case(ws: Workspace) -> int:
    """A case opened by a customer's e-mail through the real intake path."""
    received = receive_email(ws.database, mail().as_bytes(), now=ws.clock.now_us(), source="smtp")
    assert received.case_id is not None
    return received.case_id


def reply(ws: Workspace, case_id: int, body: str = TEXT, role: str = "agent", **extra: Any) -> Any:
    headers = ws.headers(role, **extra.pop("headers", {}))
    return ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": body, **extra},
        headers=headers,
    )


def test_a_reply_is_mailed_in_the_customers_thread_from_the_teams_address(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    workspace.client.patch(
        "/api/v1/teams/frontline",
        json={"support_address": "frontline@help.test"},
        headers=workspace.headers(),
    )
    case_id = mailed_case(workspace)
    deliver(workspace, smtp_server)  # the acknowledgement
    smtp_server.recorder.received.clear()
    response = reply(workspace, case_id)
    assert response.status_code == 201, response.text
    assert response.json()["delivery"]["state"] == "queued"
    assert response.json()["delivery"]["to"] == "kim@example.org"
    deliver(workspace, smtp_server)
    (sent,) = smtp_server.recorder.received
    message = sent.message
    assert sent.rcpt_tos == ["kim@example.org"]
    assert message["In-Reply-To"] == "<m1@example.org>"
    assert message["References"] == "<m1@example.org>"
    assert message["Subject"] == f"Re: [#{case_id}] Printer on fire"
    assert message["From"] == "frontline@help.test"
    assert "ana@example.org" not in str(message)
    assert message["Auto-Submitted"] is None  # written by a person
    text = message.get_content().replace("\r\n", "\n")
    assert text.startswith(TEXT + "\n")
    assert "https://help.test/status/" in text
    (shown,) = [
        m
        for m in workspace.client.get(
            f"/api/v1/cases/{case_id}/messages", headers=workspace.headers("agent")
        ).json()
        if m["author_kind"] == "agent"
    ]
    assert shown["delivery"]["state"] == "sent"
    assert shown["delivery"]["sent_at"] is not None


def test_automatic_messages_say_they_are_automatic(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    mailed_case(workspace)
    deliver(workspace, smtp_server)
    (acknowledgement,) = smtp_server.recorder.received
    assert acknowledgement.message["Auto-Submitted"] == "auto-generated"
    assert acknowledgement.message["From"] == "Escalon <escalon@help.test>"


def test_a_retried_reply_is_sent_once(workspace: Workspace, smtp_server: SmtpServer) -> None:
    case_id = open_case(workspace)["id"]
    key = {"Idempotency-Key": "reply-1"}
    first = reply(workspace, case_id, "On its way.", headers=key)
    again = reply(workspace, case_id, "On its way.", headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len(outbox(workspace, kind="reply")) == 1
    messages = workspace.client.get(
        f"/api/v1/cases/{case_id}/messages", headers=workspace.headers("agent")
    ).json()
    assert [m["body"] for m in messages if m["author_kind"] == "agent"] == ["On its way."]


def test_a_key_used_again_for_other_words_is_refused_not_swallowed(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    key = {"Idempotency-Key": "reply-2"}
    assert reply(workspace, case_id, "On its way.", headers=key).status_code == 201
    other = reply(workspace, case_id, "Actually, it is lost.", headers=key)
    assert other.status_code == 422
    assert "already used for another reply" in other.text
    assert len(outbox(workspace, kind="reply")) == 1


def test_a_later_reply_that_went_out_settles_a_failed_one(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    reply(workspace, case_id, "Hello")
    dead = Settings(
        database_url=workspace.database.url,
        smtp_host="127.0.0.1",
        smtp_port=9,  # discard: nobody listens
        smtp_timeout_seconds=2,
        outbox_max_attempts=1,
    )
    deliver_due(workspace.database, clock=workspace.clock, settings=dead)
    with workspace.database.read() as session:
        assert case_id in replies.undelivered(session, [case_id])
    reply(workspace, case_id, "Hello again")
    deliver_due(
        workspace.database,
        clock=workspace.clock,
        settings=Settings(database_url=workspace.database.url),  # no relay: logged, not dead
    )
    with workspace.database.read() as session:
        assert replies.undelivered(session, [case_id]) == {}


def test_notes_and_customer_messages_are_not_sent(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    assert reply(workspace, case_id, "internal", public=False).status_code == 201
    assert outbox(workspace, kind="reply") == []


def test_a_failed_delivery_shows_its_reason(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    reply(workspace, case_id, "Hello")
    dead = Settings(
        database_url=workspace.database.url,
        smtp_host="127.0.0.1",
        smtp_port=9,  # discard: nobody listens
        smtp_timeout_seconds=2,
        outbox_max_attempts=1,
    )
    deliver_due(workspace.database, clock=workspace.clock, settings=dead)
    messages = workspace.client.get(
        f"/api/v1/cases/{case_id}/messages", headers=workspace.headers("agent")
    ).json()
    (shown,) = [m for m in messages if m["author_kind"] == "agent"]
    assert shown["delivery"]["state"] == "failed"
    assert "SMTP 127.0.0.1 failed" in shown["delivery"]["reason"]
    integration = workspace.client.get(
        f"/api/v1/cases/{case_id}/messages", headers=workspace.headers("integration")
    ).json()
    assert all(m["delivery"] is None for m in integration)


def test_a_staff_chat_webhook_named_like_the_channel_never_gets_a_customers_reply(
    workspace: Workspace, receiver: Receiver
) -> None:
    created = workspace.client.post(
        "/api/v1/webhooks",
        json={"name": "chat", "url": receiver.url, "format": "slack"},
        headers=workspace.headers(),
    )
    assert created.status_code == 201, created.text
    case_id = open_case(workspace, channel="chat")["id"]
    reply(workspace, case_id, "Your status link is inside.")
    deliver(workspace)
    assert not any(b"Your status link" in request.body for request in receiver.requests)
    (row,) = outbox(workspace, kind="reply")
    assert row.channel == "email"  # the customer has an address: their reply goes there


def test_a_chat_case_is_answered_through_its_channels_webhook(
    workspace: Workspace, receiver: Receiver
) -> None:
    created = workspace.client.post(
        "/api/v1/webhooks",
        json={"name": "chat", "url": receiver.url},
        headers=workspace.headers(),
    )
    assert created.status_code == 201, created.text
    case_id = open_case(workspace, channel="chat")["id"]
    reply(workspace, case_id, "Try turning it off.")
    deliver(workspace)
    bodies = [json.loads(request.body) for request in receiver.requests]
    (sent,) = [body for body in bodies if body["type"] == "escalon.reply"]
    assert sent["reply"]["text"] == "Try turning it off."
    assert sent["links"]["status"].startswith("https://help.test/status/")
    # The acknowledgement went there too, with its link.
    assert all("status" in body.get("links", {}) for body in bodies)


def test_the_log_never_holds_a_replys_text(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = open_case(workspace)["id"]
    reply(workspace, case_id, "secret-words-for-kim")
    with caplog.at_level(logging.DEBUG):
        deliver(workspace)  # no SMTP host: the log transport
    assert "secret-words-for-kim" not in caplog.text
    assert "help.test/status" not in caplog.text
    messages = workspace.client.get(
        f"/api/v1/cases/{case_id}/messages", headers=workspace.headers("agent")
    ).json()
    (shown,) = [m for m in messages if m["author_kind"] == "agent"]
    assert shown["delivery"]["state"] == "not_sent"


def test_a_subject_cannot_add_header_lines(workspace: Workspace, smtp_server: SmtpServer) -> None:
    case_id = open_case(workspace)["id"]
    response = reply(
        workspace, case_id, "Hi", subject="Hello\r\nBcc: evil@example.net\r\nX-Evil: 1"
    )
    assert response.status_code == 201, response.text
    smtp_server.recorder.received.clear()
    deliver(workspace, smtp_server)
    sent = [s for s in smtp_server.recorder.received if s.message["Subject"].startswith("Re:")]
    (mailed,) = sent
    assert mailed.rcpt_tos == ["kim@example.org"]
    assert mailed.message["Bcc"] is None
    assert mailed.message["X-Evil"] is None
    assert mailed.message["Subject"].startswith(f"Re: [#{case_id}] Hello")


def _file(name: str, data: bytes, content_type: str = "application/pdf") -> dict[str, str]:
    return {
        "filename": name,
        "content_type": content_type,
        "content_base64": base64.b64encode(data).decode(),
    }


def test_a_replys_files_go_as_attachments_with_safe_names(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case_id = open_case(workspace)["id"]
    files = [
        _file("invoice.pdf", b"%PDF-1.7 invoice"),
        _file("../../etc/pass\r\nwd.html", b"<script>x</script>", "text/html; charset=utf-8"),
    ]
    response = reply(workspace, case_id, "Attached.", attachments=files)
    assert response.status_code == 201, response.text
    shown = response.json()["attachments"]
    assert [(f["filename"], f["size"]) for f in shown] == [
        ("invoice.pdf", 16),
        ("pass_wd.html", 18),
    ]
    smtp_server.recorder.received.clear()
    deliver(workspace, smtp_server)
    (sent,) = [s for s in smtp_server.recorder.received if s.message["Subject"].startswith("Re:")]
    parts = list(sent.message.iter_attachments())
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [
        ("invoice.pdf", "application/pdf"),
        ("pass_wd.html", "text/html"),
    ]
    assert parts[0].get_content() == b"%PDF-1.7 invoice"
    assert parts[1]["Content-Disposition"].startswith("attachment")
    body = sent.message.get_body(("plain",))
    assert body is not None
    assert body.get_content().startswith("Attached.")


def test_attachments_past_the_limits_are_refused(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(workspace)["id"]
    monkeypatch.setattr(replies, "MAX_ATTACHMENT_BYTES", 1000)
    too_large = reply(workspace, case_id, "x", attachments=[_file("big.bin", b"x" * 1001)])
    assert too_large.status_code == 413, too_large.text
    assert too_large.json()["error"] == "too_large"
    assert "big.bin" in too_large.json()["message"]
    too_many = reply(workspace, case_id, "x", attachments=[_file("a.txt", b"a")] * 11)
    assert too_many.status_code == 422
    not_base64 = reply(
        workspace,
        case_id,
        "x",
        attachments=[{"filename": "a.txt", "content_base64": "!!!not base64"}],
    )
    assert not_base64.status_code == 422
    by_customer = workspace.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": "x", "attachments": [_file("a.txt", b"a")]},
        headers=workspace.headers("integration"),
    )
    assert by_customer.status_code == 422
    # Nothing of the refused requests was kept or queued.
    assert outbox(workspace, kind="reply") == []
    huge = workspace.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": "x", "attachments": [_file("h.bin", b"x" * 9_000_000)]},
        headers=workspace.headers("agent"),
    )
    assert huge.status_code == 413  # past the request size limit before anything is read


@dataclass
class Peers:
    """An aiosmtpd handler that notes which connection each mail came over."""

    peers: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept the mail, noting its connection."""
        self.peers.append(session.peer)
        return "250 OK"


def test_a_batch_of_replies_goes_over_one_smtp_connection(workspace: Workspace) -> None:
    for number in range(3):
        case_id = open_case(workspace, customer={"ref": f"K-{number}", "email": "k@example.org"})[
            "id"
        ]
        reply(workspace, case_id, f"Reply {number}")
    handler = Peers()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = Settings(
            database_url=workspace.database.url,
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
        )
        report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    finally:
        controller.stop()
    assert report.delivered == 6  # three acknowledgements, three replies
    assert len(handler.peers) == 6
    assert len(set(handler.peers)) == 1


def test_a_web_form_case_is_answered_by_mail_even_beside_a_web_webhook(
    workspace: Workspace, receiver: Receiver
) -> None:
    created = workspace.client.post(
        "/api/v1/webhooks", json={"name": "web", "url": receiver.url}, headers=workspace.headers()
    )
    assert created.status_code == 201, created.text
    case_id = open_case(workspace, channel="web")["id"]
    sent = reply(workspace, case_id, "Thanks for the form.")
    assert sent.json()["delivery"]["channel"] == "email"
    assert sent.json()["delivery"]["to"] == "kim@example.org"


def test_a_connection_the_server_closed_is_replaced_and_each_mail_sent_once() -> None:
    from escalon.notifications.transports import EmailTransport, Outgoing

    handler = Peers()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port)
        transport = EmailTransport(settings, keep_open=True)
        for number in range(2):
            transport.send(
                Outgoing(number, f"k{number}", "email", "kim@example.org", "Hi", "Hello", {}, 1)
            )
            assert transport._open is not None
            # The server (here: the socket under it) drops the idle connection between mails.
            transport._open.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
    finally:
        controller.stop()
    assert len(handler.peers) == 2
    assert len(set(handler.peers)) == 2  # the second went over a new connection
