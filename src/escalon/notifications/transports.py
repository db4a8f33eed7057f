"""How outbox messages leave Escalon: the log, signed HTTP webhooks, and e-mail over SMTP."""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

import httpx
import idna

from escalon.config import Settings
from escalon.notifications.chat_formats import CHAT_FORMATS, chat_message
from escalon.notifications.outbox import new_message_id, render_body
from escalon.notifications.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from escalon.notifications.targets import TargetRefused, public_addresses

log = logging.getLogger("escalon.outbox")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to deliver, as claimed from the outbox."""

    id: int
    key: str
    channel: str
    address: str
    subject: str
    body: str
    payload: dict[str, Any]
    attempt: int
    message_id: str | None = None  # an e-mail's Message-ID, chosen when its row was written
    # Files a reply carries: (file name, content type, content), read when it is sent.
    attachments: tuple[tuple[str, str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where a named webhook goes and the secret it is signed with."""

    url: str
    secret: str | None  # None: sealed under a key this installation no longer holds
    format: str = "escalon"


class DeliveryFailed(Exception):
    """A delivery did not happen; `permanent` when retrying cannot help."""

    def __init__(
        self, message: str, *, permanent: bool = False, response: str | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        # What the receiver answered, apart from the message: its words are for admins only.
        self.response = response


class Transport(Protocol):
    """Sends one message; returns the name of the transport that carried it."""

    def send(self, message: Outgoing) -> str:
        """Deliver or raise DeliveryFailed."""
        ...


class LogTransport:
    """Notes a message in the log: the channel of last resort (no mail relay), and of demos.

    Only a summary (outbox key, recipient, subject, size): the body may hold the customer's
    status or survey link, which opens their case to whoever reads the log, and their own words.
    The message itself stays in its outbox row.
    """

    def send(self, message: Outgoing) -> str:
        """Log its summary."""
        log.info(
            "notification %s to %s, subject %r: %d characters, not sent (logged only)",
            message.key[:12],
            message.address,
            message.subject,
            len(message.body),
        )
        return "log"


class WebhookTransport:
    """POSTs the message's JSON payload, signed, with its idempotency key."""

    def __init__(
        self,
        targets: dict[str, WebhookTarget],
        *,
        timeout: float,
        clock_seconds: Any,
        allow_private: bool = False,
        transport: httpx.BaseTransport | None = None,
        templates_dir: Path | None = None,
    ) -> None:
        self.targets = targets
        self.templates_dir = templates_dir  # a team's own message templates, for chat texts
        # No redirects: a public receiver could otherwise send the request on to a private one.
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
        self.clock_seconds = clock_seconds
        self.allow_private = allow_private

    def send(self, message: Outgoing) -> str:
        """POST it; 2xx is delivered, 4xx (but 408/429) is permanent, anything else is retried."""
        target = self.targets.get(message.address)
        if target is None:
            raise DeliveryFailed(f"no active webhook named {message.address!r}", permanent=True)
        if target.secret is None:
            raise DeliveryFailed(
                f"the secret of webhook {message.address!r} does not open with this "
                "installation's keys (see `escalon keys status`)"
            )
        if target.format in CHAT_FORMATS:
            # Chat tools' incoming webhooks take a message of their own layout (and check no
            # signature); a staff notice is laid out from its payload, anything else as text.
            document: Any = chat_message(
                target.format,
                subject=message.subject,
                payload=message.payload,
                text=message.body or render_body(message.payload, self.templates_dir),
            )
        else:
            document = message.payload
        body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(self.clock_seconds())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Escalon-Webhook/1",
            IDEMPOTENCY_HEADER: message.key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(target.secret, timestamp, body),
            "X-Escalon-Attempt": str(message.attempt),
        }
        # The webhook by name, never its URL (a chat tool's URL is its credential).
        name = f"webhook {message.address!r}"
        try:
            response = self._post(target.url, body, headers)
        except TargetRefused as error:
            raise DeliveryFailed(f"{name} refused: {error}", permanent=True) from None
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{name} could not be reached ({type(error).__name__})") from None
        if 200 <= response.status_code < 300:
            return "webhook"
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise DeliveryFailed(
            f"{name} answered {response.status_code}",
            permanent=permanent,
            response=response.text[:200],
        )

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST to the URL; unless private addresses are allowed, to an address its host
        resolves to now and that is public, the name kept for Host and TLS."""
        if self.allow_private:
            return self.client.post(url, content=body, headers=headers)
        target = httpx.URL(url)
        failure: httpx.HTTPError | None = None
        for address in public_addresses(url):
            pinned = target.copy_with(host=str(address))
            extensions = {"sni_hostname": target.raw_host.decode("ascii")}
            try:
                return self.client.post(
                    pinned,
                    content=body,
                    headers={**headers, "Host": target.netloc.decode("ascii")},
                    extensions=extensions if target.scheme == "https" else None,
                )
            except httpx.ConnectError as error:  # the next address, if the host has more
                failure = error
        assert failure is not None  # public_addresses returns at least one address
        raise failure

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()


def ascii_domain(address: str) -> str:
    """The address with its domain in ASCII (IDNA), so that only a non-ASCII local part needs
    SMTPUTF8; unchanged when the domain is ASCII already or not a valid IDNA name."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError):
        return address


class EmailTransport:
    """Sends e-mail through the configured SMTP server (or logs it without one): plain text,
    with an HTML alternative when the message's payload carries one (`html`)."""

    def __init__(self, settings: Settings, *, keep_open: bool = False) -> None:
        self.settings = settings
        self.fallback = LogTransport()
        # A delivery batch sends its mails over one connection (close() ends it): a new
        # connection, greeting and login per mail would cost more than the mail itself.
        self.keep_open = keep_open
        self._open: smtplib.SMTP | None = None

    def send(self, message: Outgoing) -> str:
        """Send one e-mail; SMTP 5xx is permanent, the rest is retried."""
        settings = self.settings
        if not settings.smtp_host:
            return self.fallback.send(message)
        # Header lines up to RFC 5322's hard limit: folding the 64-character idempotency key
        # onto a continuation line makes parsers read it with a leading space.
        email = EmailMessage(policy=SMTP_POLICY.clone(max_line_length=998))
        recipient = ascii_domain(message.address)
        # The team's own support address when the message names one (never an agent's own).
        email["From"] = str(message.payload.get("from") or settings.mail_from)
        email["To"] = recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # The Message-ID stored on the row: every try sends the same one, so receivers drop a
        # redelivered copy, and a reply naming it finds its case. Random, never derived.
        email["Message-ID"] = message.message_id or new_message_id()
        email["X-Escalon-Idempotency-Key"] = message.key
        if not message.payload.get("human"):
            # RFC 3834: mail Escalon writes by itself, so that responders do not answer it.
            email["Auto-Submitted"] = "auto-generated"
        thread = message.payload.get("thread")
        if thread:
            # A reply in the customer's own thread: their mail program groups it with theirs.
            email["In-Reply-To"] = str(thread)
            email["References"] = str(thread)
        # smtplib flattens with mbox "From " quoting, which would turn a line of the text that
        # starts with "From " into ">From ": such a text travels in base64, unchanged.
        email.set_content(message.body, cte=_transfer_encoding(message.body))
        html = message.payload.get("html")
        if isinstance(html, str) and html:
            # The same content laid out as a page (the weekly review), for mail programs that
            # show HTML; the text stays first, for the others.
            email.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
        for filename, content_type, data in message.attachments:
            maintype, _, subtype = content_type.partition("/")
            email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        try:
            self._send(email, recipient)
        except smtplib.SMTPNotSupportedError:
            raise DeliveryFailed(
                f"SMTP {settings.smtp_host} does not offer SMTPUTF8, which the address "
                f"{message.address!r} needs",
                permanent=True,
            ) from None
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryFailed(
                f"SMTP {settings.smtp_host} answered {error.smtp_code}", permanent=permanent
            ) from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            permanent = all(500 <= code < 600 for code in codes)
            raise DeliveryFailed(f"recipient refused: {codes}", permanent=permanent) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"SMTP {settings.smtp_host} failed: {error!r}") from None
        return "smtp"

    def _send(self, email: EmailMessage, recipient: str) -> None:
        """Hand the mail to the server: over the batch's open connection when it still answers
        (else over a new one), or over its own. Never sent twice here: a connection lost during
        the sending may have delivered it, so that is left to the outbox's retry, whose mail
        keeps its Message-ID."""
        if not self.keep_open:
            with self._connect() as smtp:
                # An address with a non-ASCII local part needs SMTPUTF8, which smtplib asks
                # for (and sends the message as UTF-8) when the server offers it.
                smtp.send_message(email, to_addrs=[recipient])
            return
        if self._open is not None and not _answers(self._open):
            self._drop()  # the server closed the idle connection: a new one
        try:
            if self._open is None:
                self._open = self._connect()
            self._open.send_message(email, to_addrs=[recipient])
        except smtplib.SMTPResponseException:
            raise  # a refusal: smtplib reset the session, which the next mail may use
        except (OSError, smtplib.SMTPException):
            self._drop()  # anything else: the session cannot be trusted
            raise

    def _drop(self) -> None:
        found, self._open = self._open, None
        if found is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                found.close()

    def close(self) -> None:
        """End the batch's connection, if one is open."""
        found, self._open = self._open, None
        if found is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                found.quit()
            found.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host, port, timeout = (
            settings.smtp_host or "",
            settings.smtp_port,
            settings.smtp_timeout_seconds,
        )
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        return smtp


def _transfer_encoding(text: str) -> str | None:
    """base64 for a text with a line starting "From " (smtplib's mbox quoting would turn it
    into ">From "), else the email package's own choice."""
    return "base64" if any(line.startswith("From ") for line in text.splitlines()) else None


def _answers(smtp: smtplib.SMTP) -> bool:
    """Whether an open SMTP connection still answers (NOOP)."""
    try:
        return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False
