"""`escalon mail-in` (the SMTP endpoint) and `mail-poll` (IMAP polling): inbound support mail."""

from __future__ import annotations

import functools
import signal
import threading
from typing import Annotated

import typer

from escalon.cli.service import _database, _ready, fail
from escalon.config import get_settings


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
    from escalon.channels.mail import MailLimits
    from escalon.channels.smtp import mail_endpoint
    from escalon.clock import SystemClock
    from escalon.triage.lazy import LazyAnalyzer

    settings = get_settings()
    logs.configure(settings.log_level)
    database = _database(settings)
    _ready(database)
    limits = MailLimits(
        message_bytes=max_bytes or settings.mail_max_bytes,
        attachment_bytes=settings.mail_attachment_max_bytes,
    )
    endpoint = mail_endpoint(
        database,
        host=host,
        port=port,
        clock=SystemClock(),
        analyzer=LazyAnalyzer(settings.triage_model),
        limits=limits,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    endpoint.start()
    import logging

    logging.getLogger("escalon.channels").info(
        "receiving mail on %s:%d (largest message %d bytes)", host, port, limits.message_bytes
    )
    try:
        stop.wait()
    finally:
        endpoint.stop()


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
    from sqlalchemy.exc import SQLAlchemyError

    from escalon import logs
    from escalon.channels.imap import MailboxError, poll_forever, poll_once
    from escalon.channels.mail import MailLimits
    from escalon.clock import SystemClock
    from escalon.triage.lazy import LazyAnalyzer

    if ssl and starttls:
        fail("choose either --ssl or --starttls, not both")
    if not password:
        fail("no IMAP password: set ESCALON_IMAP_PASSWORD (or pass --password)")
    assert password is not None
    settings = get_settings()
    logs.configure(settings.log_level)
    database = _database(settings)
    try:
        _ready(database)
    except SQLAlchemyError as error:
        fail(f"cannot use the database: {str(error).splitlines()[0]}")
    port = port or (993 if ssl else 143)
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
        analyzer=LazyAnalyzer(settings.triage_model),
        limits=MailLimits(
            message_bytes=max_bytes or settings.mail_max_bytes,
            attachment_bytes=settings.mail_attachment_max_bytes,
        ),
    )
    try:
        if once:
            try:
                report = poll()
            except MailboxError as error:
                fail(str(error))
            typer.echo(report.summary())
            if report.failed or report.left:
                raise typer.Exit(1)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        import logging

        logging.getLogger("escalon.channels").info(
            "polling %s on %s:%d every %g s", folder, host, port, interval
        )
        poll_forever(database, **poll.keywords, interval_seconds=interval, stop_event=stop)
    finally:
        database.dispose()
