"""A real SMTP server on loopback that records every e-mail Escalon sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.network import free_port


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


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server in this process (its own thread and event loop) that records e-mails."""
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, recorder)
    finally:
        controller.stop()
