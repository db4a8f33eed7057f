"""IMAP polling against a real dovecot on loopback: unseen mail becomes cases and is marked seen;
too-large mail is refused and flagged; a database failure leaves the mail for the next poll."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from escalon.channels import imap
from escalon.channels.imap import REFUSED_KEYWORD, MailboxError, PollReport, poll_forever, poll_once
from escalon.channels.mail import Intake, MailLimits
from escalon.channels.models import InboundEmail
from escalon.cli import app
from escalon.config import get_settings
from escalon.database import Database
from tests.builders.cases import cases, messages
from tests.builders.mail import REPLY, mail
from tests.builders.workspace import Workspace
from tests.support.dovecot import Mailbox
from tests.support.network import free_port

SEEN = b"\\Seen"
FLAGGED = b"\\Flagged"
LIMITS = MailLimits(message_bytes=200_000, attachment_bytes=50_000)


def poll(
    ws: Workspace, box: Mailbox, *, database: Database | None = None, **options: Any
) -> PollReport:
    return poll_once(
        database or ws.database,
        host=box.host,
        port=box.port,
        username=box.username,
        password=box.password,
        clock=ws.clock,
        intake=Intake(limits=LIMITS),
        timeout_seconds=10,
        **options,
    )


def test_a_new_mail_opens_a_case_and_is_marked_seen(workspace: Workspace, mailbox: Mailbox) -> None:
    delivered = mail().as_bytes()
    uid = mailbox.deliver(delivered)
    report = poll(workspace, mailbox)
    assert [(polled.uid, polled.received.outcome) for polled in report.received] == [
        (uid, "opened")
    ]
    (case,) = cases(workspace)
    assert (case["channel"], case["subject"], case["customer"]["ref"]) == (
        "email",
        "Printer on fire",
        "kim@example.org",
    )
    assert SEEN in mailbox.flags(uid)
    with workspace.database.read() as session:
        inbound = session.scalars(select(InboundEmail)).one()
    assert (inbound.source, inbound.case_id) == ("imap", case["id"])
    assert inbound.raw.replace(b"\r\n", b"\n") == delivered.replace(b"\r\n", b"\n")


def test_a_reply_is_threaded_into_its_case(workspace: Workspace, mailbox: Mailbox) -> None:
    mailbox.deliver(mail())
    mailbox.deliver(
        mail(
            REPLY,
            subject="Re: Printer on fire",
            message_id="<m2@example.org>",
            In_Reply_To="<m1@example.org>",
        )
    )
    report = poll(workspace, mailbox)
    assert [polled.received.outcome for polled in report.received] == ["opened", "threaded"]
    (case,) = cases(workspace)
    bodies = [message["body"] for message in messages(workspace, case["id"])]
    assert bodies == ["My printer is on fire.", "Thanks, restarting fixed it."]


def test_a_second_poll_fetches_nothing_new(workspace: Workspace, mailbox: Mailbox) -> None:
    mailbox.deliver(mail())
    assert len(poll(workspace, mailbox).received) == 1
    again = poll(workspace, mailbox)
    assert again.unseen == 0
    assert again.summary() == "INBOX: no new mail"
    assert len(cases(workspace)) == 1


def test_a_mail_above_the_limit_is_refused_flagged_and_not_fetched_again(
    workspace: Workspace, mailbox: Mailbox
) -> None:
    big = mailbox.deliver(mail("y" * 300_000))
    small = mailbox.deliver(mail("Still on fire.", message_id="<m5@example.org>"))
    report = poll(workspace, mailbox)
    (refused,) = report.refused
    assert refused.uid == big
    assert "the limit is 200,000" in refused.reason
    assert [polled.uid for polled in report.received] == [small]
    assert {SEEN, FLAGGED, REFUSED_KEYWORD} <= mailbox.flags(big)
    with workspace.database.read() as session:
        stored = session.scalars(select(InboundEmail.size)).all()
    assert len(stored) == 1  # the refused mail is not stored
    assert poll(workspace, mailbox).unseen == 0


def test_a_database_failure_leaves_the_mail_unseen_for_the_next_poll(
    workspace: Workspace, mailbox: Mailbox, tmp_path: Path
) -> None:
    uid = mailbox.deliver(mail())
    broken = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")  # no schema: every insert fails
    try:
        failed = poll(workspace, mailbox, database=broken)
    finally:
        broken.dispose()
    assert [entry.uid for entry in failed.failed] == [uid]
    assert "OperationalError" in failed.failed[0].error
    assert "stay unseen for the next poll" in failed.summary()
    assert SEEN not in mailbox.flags(uid)
    retried = poll(workspace, mailbox)
    assert [polled.uid for polled in retried.received] == [uid]
    assert SEEN in mailbox.flags(uid)
    assert len(cases(workspace)) == 1


def test_after_failures_in_a_row_the_rest_is_left_for_the_next_poll(
    workspace: Workspace, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = [mailbox.deliver(mail(message_id=f"<f{n}@example.org>")) for n in range(5)]

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the database is down")

    monkeypatch.setattr(imap, "receive_email", unavailable)
    report = poll(workspace, mailbox)
    assert [entry.uid for entry in report.failed] == uids[:3]
    assert report.left == 2
    assert mailbox.uids(criteria="UNSEEN") == uids
    monkeypatch.undo()
    assert [polled.uid for polled in poll(workspace, mailbox).received] == uids


def test_taken_mail_moves_to_the_processed_folder_which_is_created_if_missing(
    workspace: Workspace, mailbox: Mailbox
) -> None:
    mailbox.deliver(mail())
    mailbox.deliver(mail("Me too", message_id="<m7@example.org>"))
    assert "Processed" not in mailbox.folders()
    report = poll(workspace, mailbox, processed_folder="Processed")
    assert len(report.received) == 2
    assert mailbox.uids() == []
    moved = mailbox.uids("Processed")
    assert len(moved) == 2
    assert all(SEEN in mailbox.flags(uid, "Processed") for uid in moved)
    assert poll(workspace, mailbox, processed_folder="Processed").unseen == 0


def test_a_refused_login_raises_an_error_that_names_server_and_user(
    workspace: Workspace, mailbox: Mailbox
) -> None:
    wrong = Mailbox(mailbox.host, mailbox.port, mailbox.username, "wrong password")
    with pytest.raises(MailboxError) as refused:
        poll(workspace, wrong)
    message = str(refused.value)
    assert f"127.0.0.1:{mailbox.port} refused the login of {mailbox.username!r}" in message
    assert "Authentication failed" in message
    assert "b'" not in message


def test_a_server_that_does_not_answer_raises_a_clear_error(workspace: Workspace) -> None:
    nobody = Mailbox("127.0.0.1", free_port(), "user", "password")
    with pytest.raises(MailboxError, match=r"cannot connect to the IMAP server 127\.0\.0\.1:\d+"):
        poll(workspace, nobody)


@pytest.mark.parametrize(
    ("security", "problem"),
    [("starttls", "does not support STARTTLS"), ("ssl", "SSL")],
)
def test_tls_that_the_server_cannot_speak_fails_before_the_password_is_sent(
    workspace: Workspace, mailbox: Mailbox, security: str, problem: str
) -> None:
    with pytest.raises(MailboxError, match="cannot connect to the IMAP server") as failed:
        poll(workspace, mailbox, ssl=security == "ssl", starttls=security == "starttls")
    assert problem in str(failed.value)


def test_a_missing_folder_raises_a_clear_error(workspace: Workspace, mailbox: Mailbox) -> None:
    with pytest.raises(MailboxError, match="failed to select the folder 'Nowhere'"):
        poll(workspace, mailbox, folder="Nowhere")


def test_poll_forever_takes_new_mail_until_stopped(workspace: Workspace, mailbox: Mailbox) -> None:
    stop = threading.Event()
    polls: list[int] = []

    def run() -> None:
        polls.append(
            poll_forever(
                functools.partial(
                    poll_once,
                    workspace.database,
                    host=mailbox.host,
                    port=mailbox.port,
                    username=mailbox.username,
                    password=mailbox.password,
                    clock=workspace.clock,
                    intake=Intake(limits=LIMITS),
                ),
                interval_seconds=0.05,
                stop_event=stop,
            )
        )

    loop = threading.Thread(target=run)
    loop.start()
    try:
        uid = mailbox.deliver(mail())
        deadline = time.monotonic() + 20
        while SEEN not in mailbox.flags(uid) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(20)
    assert not loop.is_alive()
    assert polls[0] >= 1
    assert len(cases(workspace)) == 1


def test_poll_forever_logs_a_failing_server_and_keeps_going(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float | None] = []

    class TwoPolls:
        def is_set(self) -> bool:
            return len(waits) >= 2

        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return self.is_set()

    polls = poll_forever(
        functools.partial(
            poll_once,
            workspace.database,
            host="127.0.0.1",
            port=free_port(),
            username="user",
            password="password",
            clock=workspace.clock,
        ),
        interval_seconds=7,
        stop_event=TwoPolls(),
    )
    assert (polls, waits) == (2, [7, 7])
    assert caplog.text.count("cannot connect to the IMAP server") == 2


# -- the command line ---------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_database(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """The workspace's database, named by ESCALON_DATABASE_URL as an operator would."""
    monkeypatch.setenv("ESCALON_DATABASE_URL", workspace.database.url)
    monkeypatch.delenv("ESCALON_IMAP_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield workspace
    get_settings.cache_clear()


def test_mail_poll_once_takes_the_mail_and_says_what_it_did(
    cli_database: Workspace, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox.deliver(mail())
    monkeypatch.setenv("ESCALON_IMAP_PASSWORD", mailbox.password)
    arguments = ["mail-poll", "--once", "--host", mailbox.host, "--port", str(mailbox.port)]
    arguments += ["--username", mailbox.username, "--processed-folder", "Done"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "INBOX: 1 received (1 opened)" in result.output
    assert mailbox.uids() == []
    assert len(mailbox.uids("Done")) == 1
    assert len(cases(cli_database)) == 1
    again = runner.invoke(app, arguments)
    assert again.exit_code == 0, again.output
    assert "INBOX: no new mail" in again.output


def test_mail_poll_fails_with_one_line_when_the_login_is_refused(
    cli_database: Workspace, mailbox: Mailbox
) -> None:
    result = runner.invoke(
        app,
        [
            "mail-poll",
            "--once",
            "--host",
            mailbox.host,
            "--port",
            str(mailbox.port),
            "--username",
            mailbox.username,
            "--password",
            "wrong",
        ],
    )
    assert result.exit_code == 1
    assert "refused the login" in result.output
    assert "Traceback" not in result.output
    # One line for the failure (before it, the start-up warnings may say what intake lacks).
    failures = [line for line in result.output.splitlines() if " WARNING " not in line]
    assert len(failures) == 1
    assert failures[0].startswith("error ")


def test_mail_poll_without_a_password_says_how_to_give_one(cli_database: Workspace) -> None:
    result = runner.invoke(app, ["mail-poll", "--once", "--host", "h", "--username", "u"])
    assert result.exit_code == 1
    assert "ESCALON_IMAP_PASSWORD" in result.output


def test_mail_poll_refuses_ssl_and_starttls_together(cli_database: Workspace) -> None:
    result = runner.invoke(
        app,
        ["mail-poll", "--once", "--host", "h", "--username", "u", "--ssl", "--starttls"],
        env={"ESCALON_IMAP_PASSWORD": "x"},
    )
    assert result.exit_code == 1
    assert "either --ssl or --starttls" in result.output
