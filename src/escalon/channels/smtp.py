"""The SMTP endpoint (`escalon mail-in`): mail servers hand Escalon its support mail here.

aiosmtpd speaks SMTP; each accepted message goes through `receive_email` in a worker thread
(the database work is synchronous). What the sending server is told:

- `250` once the raw message is stored: from then on it ends in a case or in the review list,
  whatever happens next (a duplicate, no active policy, a failure);
- `552` during the transfer for a message above the size limit (nothing stored);
- `451` when the database cannot store it, so the sending server keeps the mail and tries again
  later, and `451` at MAIL FROM for a sender over the per-sender limit (before anything is sent,
  so nothing is lost: the server tries again later).

Lines may be longer than RFC 5321's 1,000 characters (plenty of real mail has them); only the
size limit bounds a message. International addresses are accepted (SMTPUTF8).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from escalon.channels.email import normalise_address
from escalon.channels.mail import (
    DEFAULT_INTAKE,
    Intake,
    MailTooLarge,
    receive_email,
    sender_over_limit,
)
from escalon.clock import Clock
from escalon.database import Database

log = logging.getLogger(__name__)


class MailHandler:
    """Takes each message of an SMTP transaction into Escalon."""

    def __init__(self, db: Database, *, clock: Clock, intake: Intake) -> None:
        self.db = db
        self.clock = clock
        self.intake = intake
        self.received = 0

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Refuse a sender over its limit for now (451), before the message is sent."""
        sender = normalise_address(address)
        if sender is not None and self.intake.sender_limit.count:
            loop = asyncio.get_running_loop()
            try:
                over = await loop.run_in_executor(None, self._over_limit, sender)
            except Exception as error:
                log.error("the sender limit could not be checked: %s", type(error).__name__)
                return "451 4.3.0 Escalon cannot take mail right now; try again later"
            if over:
                log.warning("refused mail from a sender over the limit")
                minutes = max(1, self.intake.sender_limit.window_us // 60_000_000)
                return (
                    f"451 4.7.1 Too many mails from this sender in {minutes} minutes; "
                    "try again later"
                )
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

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
        except Exception as error:
            log.error("an inbound e-mail could not be stored: %s", type(error).__name__)
            return "451 4.3.0 Escalon cannot store the message right now; try again later"
        self.received += 1
        return str(received.answer())

    def _over_limit(self, sender: str) -> bool:
        with self.db.read() as session:
            return sender_over_limit(
                session, sender, now=self.clock.now_us(), limit=self.intake.sender_limit
            )

    def _receive(self, raw: bytes, envelope: Envelope) -> Any:
        return receive_email(
            self.db,
            raw,
            now=self.clock.now_us(),
            source="smtp",
            intake=self.intake,
            envelope_from=envelope.mail_from,
            envelope_to=list(envelope.rcpt_tos),
        )


class _Server(SMTP):
    """aiosmtpd's server, with lines as long as the message may be (its default ends a transfer
    with 500 at 1,000 characters, which real mail exceeds)."""

    def __init__(self, handler: Any, *, line_limit: int, **kwargs: Any) -> None:
        # Read by SMTP.__init__ to size its stream buffer.
        self.line_length_limit = line_limit
        super().__init__(handler, **kwargs)


class _Endpoint(Controller):
    """A controller that serves `_Server`."""

    def __init__(self, handler: Any, *, line_limit: int, **kwargs: Any) -> None:
        self.line_limit = line_limit
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        """The server of one connection."""
        return _Server(self.handler, line_limit=self.line_limit, **self.SMTP_kwargs)


def mail_endpoint(
    db: Database, *, host: str, port: int, clock: Clock, intake: Intake = DEFAULT_INTAKE
) -> Controller:
    """An SMTP server on host:port (not yet started) that feeds mail into Escalon, as `intake`
    says."""
    limits = intake.limits
    return _Endpoint(
        MailHandler(db, clock=clock, intake=intake),
        line_limit=limits.message_bytes + 2,
        hostname=host,
        port=port,
        # Refused during the transfer (552) rather than read whole and dropped.
        data_size_limit=limits.message_bytes,
        server_hostname="escalon",
        enable_SMTPUTF8=True,
    )
