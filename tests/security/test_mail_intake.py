"""Hole 5: inbound mail was lost or doubled.

(a) a different mail reusing a Message-ID was answered 250 and stored nowhere; (b) ten
simultaneous deliveries of one mail made several cases, each acknowledged; (c) a sender with a
non-ASCII address got 451 forever and left an orphan row; (d) with no active policy every mail got
451 and nothing told the operator; (e) lines over 1,000 characters ended the transfer with 500.
Each test plays the delivery over real SMTP (or IMAP against a real dovecot) on SQLite and
PostgreSQL; then the review list, its rights and audit, and the per-sender limit.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTPUTF8
from typing import Any

import pytest
from sqlalchemy import func, select, update

from escalon.admin_audit.models import AdminAuditEntry
from escalon.channels.imap import poll_once
from escalon.channels.mail import (
    INTERRUPTED_US,
    NO_SENDER_LIMIT,
    Intake,
    MailLimits,
    SenderLimit,
    readiness,
    receive_email,
    retry_waiting,
)
from escalon.channels.models import InboundEmail
from escalon.channels.smtp import mail_endpoint
from escalon.config import Settings
from escalon.notifications.delivery import deliver_due
from escalon.notifications.models import OutboxMessage
from escalon.policies.models import PolicyVersion
from tests.builders.workspace import Workspace
from tests.support.dovecot import Mailbox
from tests.support.network import free_port
from tests.support.smtp import SmtpServer

US = 1_000_000
LIMITS = MailLimits(message_bytes=500_000, attachment_bytes=100_000)


def mail(
    body: str = "My printer is on fire.",
    *,
    sender: str = "Kim Example <kim@example.org>",
    subject: str = "Printer on fire",
    message_id: str = "<m1@example.org>",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message["From"] = sender
    message["To"] = "support@escalon.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes(policy=SMTPUTF8)


class Endpoint:
    """Escalon's SMTP endpoint on loopback."""

    def __init__(self, ws: Workspace, sender_limit: SenderLimit = NO_SENDER_LIMIT) -> None:
        self.ws = ws
        self.port = free_port()
        self.controller = mail_endpoint(
            ws.database,
            host="127.0.0.1",
            port=self.port,
            clock=ws.clock,
            intake=Intake(limits=LIMITS, sender_limit=sender_limit),
        )

    def send(
        self, raw: bytes, sender: str = "kim@example.org", utf8: bool = False
    ) -> tuple[int, bytes]:
        """(code, text) of the answer to DATA."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as client:
            client.ehlo()
            options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else ["BODY=8BITMIME"]
            code, text = client.mail(sender, options)
            assert code == 250, text
            code, text = client.rcpt("support@escalon.example")
            assert code == 250, text
            return client.data(raw)


@pytest.fixture
def endpoint(workspace: Workspace) -> Iterator[Endpoint]:
    running = Endpoint(workspace)
    running.controller.start()
    try:
        yield running
    finally:
        running.controller.stop()


def inbound(ws: Workspace) -> list[InboundEmail]:
    with ws.database.read() as session:
        return list(session.scalars(select(InboundEmail).order_by(InboundEmail.id)))


def count_cases(ws: Workspace) -> int:
    response = ws.client.get("/api/v1/cases?limit=200", headers=ws.headers())
    assert response.status_code == 200
    return len(response.json()["items"])


def acknowledgements(ws: Workspace) -> list[OutboxMessage]:
    with ws.database.read() as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement"))
        )


def no_active_policy(ws: Workspace) -> None:
    with ws.database.write() as session:
        session.execute(update(PolicyVersion).values(active=False))


def activate(ws: Workspace) -> None:
    with ws.database.write() as session:
        session.execute(
            update(PolicyVersion).where(PolicyVersion.id == ws.policy_id).values(active=True)
        )


# -- (a) a different mail that reuses a Message-ID ----------------------------------------------


def test_a_different_mail_reusing_a_message_id_is_stored_and_taken(endpoint: Endpoint) -> None:
    endpoint.send(mail("The printer is on fire."))
    endpoint.send(mail("A second, different mail under the same Message-ID.", subject="Other"))

    rows = inbound(endpoint.ws)
    assert [row.status for row in rows] == ["opened", "opened"]
    assert rows[0].case_id != rows[1].case_id
    assert count_cases(endpoint.ws) == 2


def test_the_same_mail_through_another_relay_is_recognised_despite_new_trace_fields(
    endpoint: Endpoint,
) -> None:
    endpoint.send(mail(Received="from a.example by mx1 ; Mon, 30 Nov 2026 10:00:00 +0000"))
    endpoint.send(mail(Received="from b.example by mx2 ; Mon, 30 Nov 2026 10:05:00 +0000"))

    rows = inbound(endpoint.ws)
    assert [row.status for row in rows] == ["opened", "duplicate"]
    assert rows[1].duplicate_of == rows[0].id
    assert count_cases(endpoint.ws) == 1


# -- (b) the same mail delivered ten times at once ----------------------------------------------


def test_ten_simultaneous_deliveries_of_one_mail_make_one_case_and_one_acknowledgement(
    endpoint: Endpoint,
) -> None:
    raw = mail()
    ready = threading.Barrier(10)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            with smtplib.SMTP("127.0.0.1", endpoint.port, timeout=120) as client:
                client.ehlo()
                client.mail("kim@example.org")
                client.rcpt("support@escalon.example")
                ready.wait(timeout=30)  # all ten send DATA together
                answers.append(client.data(raw))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert errors == []
    assert [code for code, _text in answers] == [250] * 10
    statuses = sorted(row.status for row in inbound(endpoint.ws))
    assert statuses == ["duplicate"] * 9 + ["opened"]
    assert count_cases(endpoint.ws) == 1
    assert len(acknowledgements(endpoint.ws)) == 1


# -- (c) an international sender ------------------------------------------------------------------


def test_a_sender_with_an_international_address_gets_a_case(endpoint: Endpoint) -> None:
    raw = mail(
        "Grüße", sender="Jörg Bücher <jörg@bücher.example>", message_id="<j1@bücher.example>"
    )

    code, _text = endpoint.send(raw, sender="jörg@bücher.example", utf8=True)

    assert code == 250
    (row,) = inbound(endpoint.ws)
    assert (row.status, row.sender) == ("opened", "jörg@bücher.example")
    case = endpoint.ws.client.get(f"/api/v1/cases/{row.case_id}", headers=endpoint.ws.headers())
    assert case.json()["customer"]["ref"] == "jörg@bücher.example"


def test_the_acknowledgement_reaches_an_international_address_over_smtputf8(
    endpoint: Endpoint, smtp_server: SmtpServer
) -> None:
    raw = mail("Grüße", sender="jörg@bücher.example", message_id="<j2@bücher.example>")
    endpoint.send(raw, sender="jörg@bücher.example", utf8=True)
    settings = Settings(
        database_url=endpoint.ws.database.url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    )

    report = deliver_due(endpoint.ws.database, clock=endpoint.ws.clock, settings=settings)

    assert report.delivered >= 1, report.errors
    (sent,) = [m for m in smtp_server.recorder.received if m.rcpt_tos != []]
    # The domain in ASCII (IDNA); the local part needs SMTPUTF8, which the server offers.
    assert sent.rcpt_tos == ["jörg@xn--bcher-kva.example"]
    assert "jörg@" in str(sent.message["To"])


def test_nothing_stored_is_left_behind_where_staff_cannot_see_it(endpoint: Endpoint) -> None:
    endpoint.send(mail(sender="jörg@bücher.example"), sender="jörg@bücher.example", utf8=True)
    endpoint.send(b"\x00\x01 not a mail \xff")

    assert {row.status for row in inbound(endpoint.ws)} <= {"opened", "review"}


# -- (d) no active policy ------------------------------------------------------------------------


def test_with_no_active_policy_mail_is_answered_250_and_held_for_review(
    endpoint: Endpoint,
) -> None:
    no_active_policy(endpoint.ws)

    code, _text = endpoint.send(mail())

    assert code == 250
    (row,) = inbound(endpoint.ws)
    assert (row.status, row.hold_reason) == ("held", "no_policy")
    listed = endpoint.ws.client.get("/api/v1/inbound-emails", headers=endpoint.ws.headers())
    assert [item["id"] for item in listed.json()] == [row.id]


def test_held_mail_is_taken_by_itself_once_a_policy_is_active(endpoint: Endpoint) -> None:
    no_active_policy(endpoint.ws)
    endpoint.send(mail())
    endpoint.send(mail())  # a redelivery of the held mail: its duplicate, not a second mail
    activate(endpoint.ws)

    done = retry_waiting(endpoint.ws.database, now=endpoint.ws.clock.now_us(), intake=Intake())

    assert [received.outcome for received in done] == ["opened"]
    assert sorted(row.status for row in inbound(endpoint.ws)) == ["duplicate", "opened"]
    assert count_cases(endpoint.ws) == 1


def test_intake_says_at_start_what_it_cannot_do_yet(workspace: Workspace) -> None:
    no_active_policy(workspace)
    receive_email(workspace.database, mail(), now=workspace.clock.now_us(), source="smtp")
    settings = Settings(database_url=workspace.database.url, smtp_host=None)

    said = " / ".join(readiness(workspace.database, settings, now=workspace.clock.now_us()))

    assert "no policy is active" in said
    assert "ESCALON_SMTP_HOST is not set" in said
    assert "ESCALON_MAIL_AUTHSERV_ID is not set" in said
    assert "1 stored mail waits in the review list" in said


def test_mail_poll_prints_what_it_cannot_do_before_it_starts(workspace: Workspace) -> None:
    no_active_policy(workspace)
    environment = dict(
        os.environ,
        ESCALON_DATABASE_URL=workspace.database.url,
        ESCALON_IMAP_PASSWORD="secret",
        ESCALON_SMTP_HOST="",
    )
    result = subprocess.run(
        [
            *(sys.executable, "-m", "escalon", "mail-poll", "--once", "--host", "127.0.0.1"),
            *("--port", str(free_port()), "--username", "support"),
        ],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1  # nothing listens at that port
    assert "no policy is active: mail is stored and held" in result.stderr
    assert "ESCALON_SMTP_HOST is not set" in result.stderr


# -- (e) long lines ------------------------------------------------------------------------------


def test_a_line_over_1000_characters_is_stored_whole(endpoint: Endpoint) -> None:
    line = "x" * 3000
    message = EmailMessage()
    message["From"] = "kim@example.org"
    message["Subject"] = "Long line"
    message["Message-ID"] = "<long@example.org>"
    message.set_content(line, cte="8bit")

    code, _text = endpoint.send(message.as_bytes(policy=SMTPUTF8.clone(max_line_length=None)))

    assert code == 250
    (row,) = inbound(endpoint.ws)
    assert row.status == "opened"
    assert line.encode() in row.raw


# -- a failure after storing ---------------------------------------------------------------------


def test_a_failure_while_taking_a_mail_keeps_it_in_the_review_list(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalon.cases import opening

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the flows are broken")

    monkeypatch.setattr(opening, "open_case", broken)

    code, _text = endpoint.send(mail())

    assert code == 250
    (row,) = inbound(endpoint.ws)
    assert (row.status, row.hold_reason) == ("held", "failed")
    assert "RuntimeError" in (row.error or "")


# -- the review list -----------------------------------------------------------------------------


def held(ws: Workspace) -> int:
    no_active_policy(ws)
    received = receive_email(ws.database, mail(), now=ws.clock.now_us(), source="smtp")
    assert received.outcome == "held"
    return received.inbound_id


def test_only_supervisors_and_admins_see_the_review_list(workspace: Workspace) -> None:
    inbound_id = held(workspace)

    for role, expected in (("admin", 200), ("supervisor", 200), ("agent", 403)):
        listed = workspace.client.get("/api/v1/inbound-emails", headers=workspace.headers(role))
        one = workspace.client.get(
            f"/api/v1/inbound-emails/{inbound_id}", headers=workspace.headers(role)
        )
        assert (listed.status_code, one.status_code) == (expected, expected), role
    integration = workspace.client.get(
        "/api/v1/inbound-emails/1/raw", headers=workspace.headers("integration")
    )
    assert integration.status_code == 403


def test_a_held_mail_shows_its_headers_and_downloads_as_it_arrived(workspace: Workspace) -> None:
    inbound_id = held(workspace)

    detail = workspace.client.get(
        f"/api/v1/inbound-emails/{inbound_id}", headers=workspace.headers("supervisor")
    )
    raw = workspace.client.get(
        f"/api/v1/inbound-emails/{inbound_id}/raw", headers=workspace.headers("supervisor")
    )

    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["hold_reason"], body["subject"]) == (
        "held",
        "no_policy",
        "Printer on fire",
    )
    assert ["Subject", "Printer on fire"] in body["headers"]
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("message/rfc822")
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.content == mail()


def test_a_retry_takes_the_held_mail_and_is_audited(workspace: Workspace) -> None:
    inbound_id = held(workspace)
    activate(workspace)

    retried = workspace.client.post(
        f"/api/v1/inbound-emails/{inbound_id}/retry", headers=workspace.headers("supervisor")
    )
    again = workspace.client.post(
        f"/api/v1/inbound-emails/{inbound_id}/retry", headers=workspace.headers("supervisor")
    )

    assert retried.status_code == 200, retried.text
    assert retried.json()["outcome"] == "opened"
    assert retried.json()["email"]["handled_by"] == "supervisor"
    assert again.status_code == 409
    with workspace.database.read() as session:
        actions = session.scalars(select(AdminAuditEntry.action)).all()
    assert "inbound_email.retried" in actions


def test_a_dismissed_mail_leaves_the_list_stays_stored_and_is_audited(
    workspace: Workspace,
) -> None:
    inbound_id = held(workspace)

    dismissed = workspace.client.post(
        f"/api/v1/inbound-emails/{inbound_id}/dismiss",
        json={"note": "spam"},
        headers=workspace.headers("supervisor"),
    )

    assert dismissed.status_code == 200, dismissed.text
    waiting = workspace.client.get("/api/v1/inbound-emails", headers=workspace.headers())
    assert waiting.json() == []
    kept = workspace.client.get(
        "/api/v1/inbound-emails?status=dismissed", headers=workspace.headers()
    )
    assert [item["id"] for item in kept.json()] == [inbound_id]
    with workspace.database.read() as session:
        entry = session.scalars(
            select(AdminAuditEntry).where(AdminAuditEntry.action == "inbound_email.dismissed")
        ).one()
    assert (entry.actor, entry.target) == ("supervisor", f"inbound_email:{inbound_id}")


def test_a_mail_in_a_case_cannot_be_retried_or_dismissed(workspace: Workspace) -> None:
    received = receive_email(
        workspace.database, mail(), now=workspace.clock.now_us(), source="smtp"
    )

    for action in ("retry", "dismiss"):
        answer = workspace.client.post(
            f"/api/v1/inbound-emails/{received.inbound_id}/{action}", headers=workspace.headers()
        )
        assert answer.status_code == 409, action
    missing = workspace.client.post(
        "/api/v1/inbound-emails/999999/retry", headers=workspace.headers()
    )
    assert missing.status_code == 404


def test_an_interrupted_delivery_appears_in_the_list_and_can_be_retried(
    workspace: Workspace,
) -> None:
    with workspace.database.write() as session:
        session.execute(
            InboundEmail.__table__.insert(),  # type: ignore[attr-defined]
            {
                "received_at": workspace.clock.now_us(),
                "source": "smtp",
                "size": len(mail()),
                "raw": mail(),
                "status": "received",
                "sender": "kim@example.org",
            },
        )
    workspace.clock.advance(seconds=INTERRUPTED_US // US + 1)

    listed = workspace.client.get("/api/v1/inbound-emails", headers=workspace.headers())
    (item,) = listed.json()
    retried = workspace.client.post(
        f"/api/v1/inbound-emails/{item['id']}/retry", headers=workspace.headers()
    )

    assert item["can_retry"] is True
    assert retried.json()["outcome"] == "opened"


# -- the per-sender limit ------------------------------------------------------------------------


def test_smtp_refuses_a_sender_over_the_limit_at_mail_from_before_anything_is_sent(
    workspace: Workspace,
) -> None:
    running = Endpoint(workspace, SenderLimit(count=3, window_us=3600 * US))
    running.controller.start()
    try:
        for number in range(3):
            running.send(mail(f"mail {number}", message_id=f"<n{number}@example.org>"))
        with smtplib.SMTP("127.0.0.1", running.port, timeout=30) as client:
            client.ehlo()
            code, text = client.mail("kim@example.org")
            other, _ = client.mail("ann@example.org") if code != 250 else (0, b"")
    finally:
        running.controller.stop()

    assert code == 451
    assert b"Too many mails" in text
    assert other == 250  # another sender is not held back
    assert len(inbound(workspace)) == 3


def test_the_sender_limit_window_slides(workspace: Workspace) -> None:
    limit = SenderLimit(count=2, window_us=600 * US)
    outcomes = []
    for number in range(3):
        raw = mail(f"mail {number}", message_id=f"<w{number}@example.org>")
        outcomes.append(
            receive_email(
                workspace.database,
                raw,
                now=workspace.clock.now_us(),
                source="imap",
                intake=Intake(sender_limit=limit),
            ).outcome
        )
    workspace.clock.advance(seconds=601)
    later = receive_email(
        workspace.database,
        mail("later", message_id="<w9@example.org>"),
        now=workspace.clock.now_us(),
        source="imap",
        intake=Intake(sender_limit=limit),
    )

    assert outcomes == ["opened", "opened", "held"]
    assert later.outcome == "opened"


def test_imap_polling_stores_mail_over_the_sender_limit_but_holds_it(
    workspace: Workspace, mailbox: Mailbox
) -> None:
    for number in range(3):
        mailbox.deliver(mail(f"flood {number}", message_id=f"<f{number}@example.org>"))

    report = poll_once(
        workspace.database,
        host=mailbox.host,
        port=mailbox.port,
        username=mailbox.username,
        password=mailbox.password,
        clock=workspace.clock,
        intake=Intake(limits=LIMITS, sender_limit=SenderLimit(count=2, window_us=3600 * US)),
    )

    assert [polled.received.outcome for polled in report.received] == ["opened", "opened", "held"]
    assert mailbox.uids() == [] or all(b"\\Seen" in mailbox.flags(uid) for uid in mailbox.uids())
    (row,) = [row for row in inbound(workspace) if row.status == "held"]
    assert row.hold_reason == "sender_limit"


def test_a_limit_of_zero_turns_the_sender_limit_off(workspace: Workspace) -> None:
    outcomes = {
        receive_email(
            workspace.database,
            mail(f"m{number}", message_id=f"<z{number}@example.org>"),
            now=workspace.clock.now_us(),
            source="imap",
            intake=Intake(sender_limit=SenderLimit(count=0)),
        ).outcome
        for number in range(5)
    }
    assert outcomes == {"opened"}
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(InboundEmail)) == 5


# -- the command line ----------------------------------------------------------------------------


def test_escalon_mail_review_retry_and_dismiss_on_the_command_line(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from escalon.cli import app
    from escalon.config import get_settings

    first = held(workspace)
    second = receive_email(
        workspace.database,
        mail("another", message_id="<m2@example.org>"),
        now=workspace.clock.now_us(),
        source="smtp",
    ).inbound_id
    activate(workspace)
    monkeypatch.setenv("ESCALON_DATABASE_URL", workspace.database.url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        listed = runner.invoke(app, ["mail", "review", "--json"])
        retried = runner.invoke(app, ["mail", "retry", str(first)])
        dismissed = runner.invoke(app, ["mail", "dismiss", str(second), "--note", "test"])
        neither = runner.invoke(app, ["mail", "retry"])
    finally:
        get_settings.cache_clear()

    assert listed.exit_code == 0, listed.output
    assert {line.count('"status": "held"') for line in listed.output.splitlines()} == {1}
    assert retried.exit_code == 0, retried.output
    assert f"inbound mail {first}: opened, case" in retried.output
    assert dismissed.exit_code == 0, dismissed.output
    assert neither.exit_code == 1
    with workspace.database.read() as session:
        entries = session.execute(
            select(AdminAuditEntry.action, AdminAuditEntry.via).order_by(AdminAuditEntry.id)
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("inbound_email.retried", "cli"),
        ("inbound_email.dismissed", "cli"),
    ]
