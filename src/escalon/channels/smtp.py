"""The SMTP endpoint (`escalon mail-in`): mail servers hand Escalon its support mail here.

aiosmtpd speaks SMTP; each accepted message goes through `receive_email` in a worker thread
(the database work is synchronous). A message above the size limit is refused during the
transfer with 552; when the database cannot take it the answer is 451, so the sending server
keeps the mail and tries again later: nothing is dropped on our side.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from escalon.channels.mail import MailLimits, MailTooLarge, receive_email
from escalon.clock import Clock
from escalon.core.signals import TextAnalyzer
from escalon.database import Database

log = logging.getLogger(__name__)


class MailHandler:
    """Takes each message of an SMTP transaction into Escalon."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        analyzer: TextAnalyzer | None,
        limits: MailLimits,
    ) -> None:
        self.db = db
        self.clock = clock
        self.analyzer = analyzer
        self.limits = limits
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message and thread it; answer the SMTP client."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            received = await loop.run_in_executor(None, self._receive, raw, envelope)
        except MailTooLarge as error:
            return f"552 5.3.4 {error}"
        except Exception:
            log.exception("an inbound e-mail could not be stored")
            return "451 4.3.0 Escalon cannot store the message right now; try again later"
        self.received += 1
        return f"250 2.0.0 Stored as case {received.case_id} ({received.outcome})"

    def _receive(self, raw: bytes, envelope: Envelope) -> Any:
        return receive_email(
            self.db,
            raw,
            now=self.clock.now_us(),
            source="smtp",
            envelope_from=envelope.mail_from,
            envelope_to=list(envelope.rcpt_tos),
            analyzer=self.analyzer,
            limits=self.limits,
        )


def mail_endpoint(
    db: Database,
    *,
    host: str,
    port: int,
    clock: Clock,
    analyzer: TextAnalyzer | None,
    limits: MailLimits | None = None,
) -> Controller:
    """An SMTP server on host:port (not yet started) that feeds mail into Escalon."""
    limits = limits or MailLimits()
    handler = MailHandler(db, clock=clock, analyzer=analyzer, limits=limits)
    return Controller(
        handler,
        hostname=host,
        port=port,
        # Refused during the transfer (552) rather than read whole and dropped.
        data_size_limit=limits.message_bytes,
        server_hostname="escalon",
    )
