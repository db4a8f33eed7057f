"""Reading an e-mail: headers, the text the customer wrote, attachments, and what threads it.

The standard library's parser reads the MIME structure (any charset it knows; an unknown one is
read as UTF-8 with replacement characters rather than refused). HTML-only mails are turned into
text with BeautifulSoup. The reply itself, without quoted history and signature, comes from
mail-parser-reply. A mail that cannot be read at all raises `UnreadableEmail`: the caller still
has the raw bytes and keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup
from mailparser_reply import EmailReplyParser

from escalon.core.text import one_line

# Languages whose reply headers and signatures the reply parser recognises.
REPLY_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "sv", "da", "pl")
# "[#123]" in a subject names case 123: Escalon puts it in every subject it sends.
CASE_TOKEN = re.compile(r"\[#(\d{1,18})\]")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class UnreadableEmail(ValueError):
    """Bytes that do not read as an e-mail (no headers, no sender, no body)."""


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A file that came with a mail."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """What Escalon keeps of a mail."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender_name: str | None
    sender: str | None  # the address
    to: tuple[str, ...]
    sent_at: datetime | None
    text: str  # the whole text part (or the HTML part as text)
    reply: str  # the new text: without quoted history and signature
    html_only: bool
    attachments: tuple[MailAttachment, ...] = ()
    automatic: bool = False  # an auto-reply or a bulk mail
    problems: tuple[str, ...] = field(default=())

    @property
    def case_token(self) -> int | None:
        """The case a "[#123]" in the subject names, if any."""
        found = CASE_TOKEN.search(self.subject)
        return int(found.group(1)) if found else None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The Message-IDs this mail answers, most direct first."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))


def parse_email(raw: bytes) -> ParsedEmail:
    """Read a mail from its bytes; UnreadableEmail when it is not one."""
    if not raw.strip():
        raise UnreadableEmail("the message is empty")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it raises means "not a mail"
        raise UnreadableEmail(f"the MIME structure cannot be read: {error}") from None
    assert isinstance(message, EmailMessage)
    if not message.keys():
        raise UnreadableEmail("the message has no headers")
    problems: list[str] = []
    name, sender = _sender(message, problems)
    text, html_only = _body(message, problems)
    if sender is None and not text.strip():
        raise UnreadableEmail("the message has neither a sender nor any text")
    return ParsedEmail(
        message_id=_first_id(_header(message, "Message-ID", problems)),
        in_reply_to=_ids(_header(message, "In-Reply-To", problems)),
        references=_ids(_header(message, "References", problems)),
        subject=one_line(_header(message, "Subject", problems)),
        sender_name=name,
        sender=sender,
        to=tuple(
            address.lower()
            for _, address in getaddresses([_header(message, "To", problems)])
            if address
        ),
        sent_at=_date(_header(message, "Date", problems)),
        text=text,
        reply=reply_text(text),
        html_only=html_only,
        attachments=tuple(_attachments(message, problems)),
        automatic=_automatic(message),
        problems=tuple(problems),
    )


def reply_text(text: str) -> str:
    """The newest reply in a mail's text, without quoted history, signature and disclaimer."""
    if not text.strip():
        return ""
    try:
        replies = _reply_parser().read(text).replies
    except Exception:  # a parser hiccup must not lose the customer's words
        return text.strip()
    newest = replies[0].body.strip() if replies else ""
    return newest or text.strip()


@lru_cache(maxsize=1)
def _reply_parser() -> EmailReplyParser:
    return EmailReplyParser(languages=list(REPLY_LANGUAGES))


def _header(message: EmailMessage, name: str, problems: list[str]) -> str:
    try:
        value = message.get(name)
    except Exception as error:  # a header the policy cannot parse: keep its raw text
        problems.append(f"{name}: {error}")
        raw = message.get_all(name, failobj=[])
        value = str(raw[0]) if raw else None
    return "" if value is None else str(value)


def _sender(message: EmailMessage, problems: list[str]) -> tuple[str | None, str | None]:
    value = _header(message, "Reply-To", problems) or _header(message, "From", problems)
    try:
        header = message.get("Reply-To") or message.get("From")
        addresses = getattr(header, "addresses", ())
        for address in addresses:
            if isinstance(address, Address) and address.addr_spec and "@" in address.addr_spec:
                return (address.display_name or None, address.addr_spec.lower())
    except Exception as error:
        problems.append(f"From: {error}")
    for display, address in getaddresses([value]):
        if "@" in address:
            return (one_line(display) or None, address.lower())
    return (None, None)


def _first_id(value: str) -> str | None:
    found = _MESSAGE_ID.findall(value)
    return found[0] if found else (value.strip() or None)


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value))


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def _body(message: EmailMessage, problems: list[str]) -> tuple[str, bool]:
    """The text part, else the HTML part as text; (text, whether it came from HTML)."""
    try:
        plain = message.get_body(preferencelist=("plain",))
        if plain is not None:
            return _text_of(plain, problems), False
        html = message.get_body(preferencelist=("html",))
        if html is not None:
            return html_to_text(_text_of(html, problems)), True
    except Exception as error:
        problems.append(f"body: {error}")
    if not message.is_multipart():
        return _text_of(message, problems), False
    return "", False


def _text_of(part: Message, problems: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError) as error:
        problems.append(f"charset {part.get_content_charset()!r}: {error}; read as UTF-8")
    except Exception as error:
        problems.append(f"body: {error}")
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    return str(part.get_payload())


def html_to_text(html: str) -> str:
    """The visible text of an HTML mail, a line per block."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "head", "title"]):
        hidden.decompose()
    for quote in soup.find_all("blockquote"):
        quote.insert_before("\n> ")
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)


def _attachments(message: EmailMessage, problems: list[str]) -> list[MailAttachment]:
    found: list[MailAttachment] = []
    try:
        parts: Any = message.iter_attachments() if message.is_multipart() else ()
        for part in parts:
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                continue
            filename = one_line(part.get_filename() or "") or f"attachment-{len(found) + 1}"
            found.append(MailAttachment(filename[:255], part.get_content_type()[:255], data))
    except Exception as error:
        problems.append(f"attachments: {error}")
    return found


def _automatic(message: EmailMessage) -> bool:
    submitted = str(message.get("Auto-Submitted", "no")).lower()
    precedence = str(message.get("Precedence", "")).lower()
    return submitted != "no" or precedence in ("bulk", "junk", "list") or "X-Autoreply" in message
