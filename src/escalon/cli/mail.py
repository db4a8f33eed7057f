"""`escalon mail-in`: the SMTP endpoint for inbound support mail."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from escalon.cli.service import _database, _ready
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
