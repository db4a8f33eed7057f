"""`escalon mail-in` (the SMTP endpoint), `mail-poll` (IMAP polling), and `escalon mail review`,
`retry` and `dismiss` (the review list of stored mail that is not in a case)."""

from __future__ import annotations

import functools
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer

from escalon.cli.service import (
    _database,
    _ready,
    database_ready,
    ending_on_refusal,
    fail,
    load_keys,
)
from escalon.config import Settings, get_settings

app = typer.Typer(
    help="The review list: stored mail that is not in a case (held, interrupted).",
    no_args_is_help=True,
)
log = logging.getLogger("escalon.channels")
# How often the intake processes look for held mail whose cause is gone.
RETRY_SECONDS = 60.0


def _intake(settings: Settings, max_bytes: int | None) -> Any:
    from escalon.channels.mail import MailLimits, intake_from
    from escalon.triage.lazy import LazyAnalyzer

    intake = intake_from(settings, LazyAnalyzer.from_settings(settings))
    if max_bytes:
        limits = MailLimits(max_bytes, intake.limits.attachment_bytes)
        intake = type(intake)(intake.analyzer, limits, intake.trust, intake.sender_limit)
    return intake


def _say_what_is_missing(database: Any, settings: Settings) -> None:
    """Tell the operator at start what intake cannot do yet (one warning line each)."""
    from escalon.channels.mail import readiness
    from escalon.clock import SystemClock

    for line in readiness(database, settings, now=SystemClock().now_us()):
        log.warning("%s", line)


def _retry_waiting(database: Any, intake: Any) -> None:
    """Take held mail whose cause is gone (a policy activated, an interrupted delivery)."""
    from escalon.channels.mail import retry_waiting
    from escalon.clock import SystemClock

    try:
        done = retry_waiting(database, now=SystemClock().now_us(), intake=intake)
    except Exception as error:  # the next round tries again
        log.error("held mail could not be retried: %s", type(error).__name__)
        return
    if done:
        log.info("took %d held mail(s) from the review list", len(done))


def mail_in(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port to listen on.", min=1, max=65535)] = 2525,
    max_bytes: Annotated[
        int | None,
        typer.Option(help="Largest message accepted, in bytes (default ESCALON_MAIL_MAX_BYTES)."),
    ] = None,
) -> None:
    """Receive support mail over SMTP until SIGTERM: each message is stored, then threaded."""
    from escalon import logs
    from escalon.channels.smtp import mail_endpoint
    from escalon.clock import SystemClock

    settings = get_settings()
    logs.configure(settings.log_level)
    database = database_ready(settings)
    load_keys(settings)  # acknowledgements carry signed status links
    intake = _intake(settings, max_bytes)
    endpoint = mail_endpoint(
        database,
        host=host,
        port=port,
        clock=SystemClock(),
        intake=intake,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    _say_what_is_missing(database, settings)
    endpoint.start()
    log.info(
        "receiving mail on %s:%d (largest message %d bytes)",
        host,
        port,
        intake.limits.message_bytes,
    )
    try:
        while not stop.is_set():
            _retry_waiting(database, intake)
            stop.wait(RETRY_SECONDS)
    finally:
        endpoint.stop()
        database.dispose()


def mail_poll(
    host: Annotated[str, typer.Option(help="The IMAP server.")],
    username: Annotated[str, typer.Option(help="The mailbox's login.")],
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ESCALON_IMAP_PASSWORD",
            show_default=False,
            help="The mailbox's password (better: ESCALON_IMAP_PASSWORD).",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="IMAP port (default 993 with --ssl, else 143).", min=1, max=65535),
    ] = None,
    folder: Annotated[str, typer.Option(help="The folder to take unseen mail from.")] = "INBOX",
    interval: Annotated[
        float, typer.Option(help="Seconds between polls.", min=1, max=86_400)
    ] = 30.0,
    once: Annotated[
        bool, typer.Option("--once", help="Poll once, print what happened, exit.")
    ] = False,
    ssl: Annotated[bool, typer.Option("--ssl", help="IMAP over TLS (port 993).")] = False,
    starttls: Annotated[
        bool, typer.Option("--starttls", help="Upgrade a plain connection with STARTTLS.")
    ] = False,
    processed_folder: Annotated[
        str | None,
        typer.Option(
            help="Move taken mail to this folder (created if missing); else mark it seen."
        ),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            help="Largest message accepted, in bytes (default ESCALON_MAIL_MAX_BYTES).", min=1
        ),
    ] = None,
) -> None:
    """Take support mail from an IMAP mailbox: unseen messages are stored, threaded, marked seen."""
    from escalon.channels.imap import poll_once
    from escalon.clock import SystemClock

    if ssl and starttls:
        fail("choose either --ssl or --starttls, not both")
    if not password:
        fail("no IMAP password: set ESCALON_IMAP_PASSWORD (or pass --password)")
    assert password is not None
    settings, database = _ready_database()
    port = port or (993 if ssl else 143)
    intake = _intake(settings, max_bytes)
    poll = functools.partial(
        poll_once,
        database,
        host=host,
        port=port,
        username=username,
        password=password,
        folder=folder,
        ssl=ssl,
        starttls=starttls,
        processed_folder=processed_folder,
        clock=SystemClock(),
        intake=intake,
    )
    _say_what_is_missing(database, settings)
    try:
        if once:
            _poll_once(poll)
            return
        log.info("polling %s on %s:%d every %g s", folder, host, port, interval)
        _poll_until_stopped(database, intake, poll, interval)
    finally:
        database.dispose()


def _ready_database() -> tuple[Settings, Any]:
    """Settings, logging, keys and a database that is ready (else exit with the reason)."""
    from sqlalchemy.exc import SQLAlchemyError

    from escalon import logs

    settings = get_settings()
    logs.configure(settings.log_level)
    database = _database(settings)
    try:
        _ready(database)
    except SQLAlchemyError as error:
        fail(f"cannot use the database: {str(error).splitlines()[0]}")
    load_keys(settings)  # acknowledgements carry signed status links
    return settings, database


def _poll_once(poll: Callable[[], Any]) -> None:
    """One poll; print its summary; exit 1 when a message failed or was left."""
    from escalon.channels.imap import MailboxError

    try:
        report = poll()
    except MailboxError as error:
        fail(str(error))
    typer.echo(report.summary())
    if report.failed or report.left:
        raise typer.Exit(1)


def _poll_until_stopped(
    database: Any, intake: Any, poll: functools.partial[Any], interval: float
) -> None:
    """Poll every `interval` seconds until SIGTERM or SIGINT."""
    from escalon.channels.imap import poll_forever

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    poll_forever(
        poll,
        interval_seconds=interval,
        stop_event=stop,
        after_poll=lambda: _retry_waiting(database, intake),
    )


@app.command("review")
def review(
    status: Annotated[
        str,
        typer.Option(
            help="held (default), waiting (held and interrupted), dismissed, duplicate, "
            "opened, threaded, review, received or all."
        ),
    ] = "waiting",
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Stored mail by status, newest first: by default what waits for someone to look at it."""
    from rich.console import Console
    from rich.table import Table

    from escalon.channels import review as review_list
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock

    database = database_ready(get_settings())
    with ending_on_refusal(), database.read() as session:
        rows = review_list.listed(session, status=status, now=SystemClock().now_us(), limit=limit)
    if as_json:
        for row in rows:
            print(json.dumps(review_list.as_json(row), sort_keys=True))
        return
    table = Table("id", "received (UTC)", "status", "from", "subject", "why")
    for row in rows:
        table.add_row(
            str(row.id),
            row.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.status,
            row.sender or "",
            row.subject or "",
            row.reason or "",
        )
    Console(soft_wrap=True).print(table)


@app.command("retry")
def retry(
    inbound_id: Annotated[
        int | None, typer.Argument(help="The stored mail's id (escalon mail review).")
    ] = None,
    waiting: Annotated[
        bool,
        typer.Option(
            "--waiting", help="Every mail held for want of a policy, and interrupted ones."
        ),
    ] = False,
) -> None:
    """Take held mail into a case again (after its cause is fixed, e.g. a policy activated)."""
    from escalon.channels import mail
    from escalon.cli.service import audit, database_ready, operator
    from escalon.clock import SystemClock

    if (inbound_id is None) == (not waiting):
        fail("name one stored mail's id, or --waiting")
    settings = get_settings()
    database = database_ready(settings)
    load_keys(settings)  # a case it opens is acknowledged with a signed status link
    intake = _intake(settings, None)
    now = SystemClock().now_us()
    if waiting:
        done = mail.retry_waiting(database, now=now, intake=intake)
        for received in done:
            with database.write() as session:
                audit(session, "inbound_email.retried", f"inbound_email:{received.inbound_id}")
            typer.echo(_outcome(received))
        if not done:
            typer.echo("nothing to retry")
        return
    assert inbound_id is not None
    with ending_on_refusal():
        received = mail.retry(database, inbound_id, now=now, by=operator(), intake=intake)
    with database.write() as session:
        audit(
            session,
            "inbound_email.retried",
            f"inbound_email:{inbound_id}",
            {"outcome": received.outcome, "case_id": received.case_id},
        )
    typer.echo(_outcome(received))


@app.command("dismiss")
def dismiss(
    inbound_id: Annotated[int, typer.Argument(help="The stored mail's id.")],
    note: Annotated[str | None, typer.Option(help="Why it needs no case.")] = None,
) -> None:
    """Mark a held mail as needing no case (it stays stored and can be retried)."""
    from escalon.channels import mail
    from escalon.cli.service import audit, database_ready, operator
    from escalon.clock import SystemClock

    database = database_ready(get_settings())
    with ending_on_refusal(), database.write() as session:
        mail.dismiss(
            session,
            inbound_id,
            now=SystemClock().now_us(),
            by=operator(),
            note=(note or "")[:2000] or None,
        )
        audit(
            session,
            "inbound_email.dismissed",
            f"inbound_email:{inbound_id}",
            {"note": note} if note else None,
        )
    typer.echo(f"inbound mail {inbound_id} dismissed")


def _outcome(received: Any) -> str:
    where = f"case {received.case_id}" if received.case_id is not None else "still held for review"
    return f"inbound mail {received.inbound_id}: {received.outcome}, {where}"
