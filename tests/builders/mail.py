"""Customers' e-mails, and Escalon's SMTP endpoint on loopback with a client that speaks real
SMTP to it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from escalon.channels.mail import Intake, MailLimits
from escalon.channels.smtp import mail_endpoint
from escalon.core.signals import TextAnalyzer
from tests.builders.workspace import Workspace
from tests.support.network import free_port

# A customer's reply: the new words, a signature and the quoted history below.
REPLY = """Thanks, restarting fixed it.

Best regards,
Kim
--
Kim Example | Example Ltd

On Mon, Nov 30, 2026 at 10:00 AM Support <support@example.org> wrote:
> Please restart the printer.
> Regards, Ana
"""


def mail(
    body: str = "My printer is on fire.",
    *,
    subject: str = "Printer on fire",
    sender: str = "Kim Example <kim@example.org>",
    message_id: str = "<m1@example.org>",
    **headers: str,
) -> EmailMessage:
    """A customer's mail to support; `headers` add more (underscores become hyphens)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@escalon.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


class Endpoint:
    """Escalon's SMTP endpoint on loopback, and a client that speaks real SMTP to it."""

    def __init__(
        self, ws: Workspace, limits: MailLimits | None = None, analyzer: TextAnalyzer | None = None
    ) -> None:
        self.port = free_port()
        self.ws = ws
        self.controller = mail_endpoint(
            ws.database,
            host="127.0.0.1",
            port=self.port,
            clock=ws.clock,
            intake=Intake(analyzer=analyzer, limits=limits or MailLimits()),
        )

    def send(self, message: EmailMessage | bytes) -> Any:
        """Send a message (or raw bytes) over SMTP; what the client's send call returns."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            if isinstance(message, bytes):
                return client.sendmail("kim@example.org", ["support@escalon.example"], message)
            return client.send_message(message)
