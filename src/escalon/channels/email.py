"""Reading an e-mail: headers, the text the customer wrote, attachments, and what threads it.

The standard library's parser reads the MIME structure (any charset it knows; an unknown one is
read as UTF-8 with replacement characters rather than refused). Header fields in raw UTF-8 (RFC
6532, the mail of a sender with an international address, SMTPUTF8) are read as UTF-8. HTML-only mails are turned into
text with BeautifulSoup. The reply itself, without quoted history and signature, comes from
mail-parser-reply. A mail that cannot be read at all raises `UnreadableEmail`: the caller still
has the raw bytes and keeps them.

The sender is the From address: that is who wrote. Reply-To only says where an answer may go, and
anyone can put anything there, so it never names the customer.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from typing import Any

import idna
from bs4 import BeautifulSoup
from mailparser_reply import EmailReplyParser

from escalon.core.text import one_line, split_outside_quotes

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
class AuthResult:
    """One result of an Authentication-Results header field (RFC 8601): which server checked
    what (`dmarc`, `dkim`, `spf`...), its verdict, and the properties it names."""

    authserv_id: str
    method: str  # lower case
    result: str  # lower case: pass, fail, none, softfail...
    properties: tuple[tuple[str, str], ...] = ()  # ("header.from", "example.org"), ...

    def get(self, name: str) -> str | None:
        """The value of a property such as `header.from`, if the result names it."""
        for key, value in self.properties:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """What Escalon keeps of a mail."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender_name: str | None
    sender: str | None  # the From address, normalised (see `normalise_address`)
    to: tuple[str, ...]
    sent_at: datetime | None
    text: str  # the whole text part (or the HTML part as text)
    reply: str  # the new text: without quoted history and signature
    html_only: bool
    attachments: tuple[MailAttachment, ...] = ()
    automatic: bool = False  # an auto-reply or a bulk mail
    problems: tuple[str, ...] = field(default=())
    reply_to: str | None = None  # where the sender asks answers to go (never who they are)
    cc: tuple[str, ...] = ()
    # Addresses the mail was delivered to, as trace headers name them (Delivered-To...).
    delivered_to: tuple[str, ...] = ()
    # Authentication-Results, topmost first: which servers checked the sender, and what they found.
    auth_results: tuple[AuthResult, ...] = ()

    @property
    def case_token(self) -> int | None:
        """The case a "[#123]" in the subject names, if any."""
        found = CASE_TOKEN.search(self.subject)
        return int(found.group(1)) if found else None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The Message-IDs this mail answers, most direct first."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))


class _Utf8Headers(EmailPolicy):
    """The standard policy, reading header fields in raw 8-bit as UTF-8 (RFC 6532)."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        """The header as the default policy reads it, once raw bytes are read as UTF-8."""
        return super().header_fetch_parse(name, _utf8(value))


# The parser reads raw bytes in headers as surrogate escapes; the policy turns them back into text.
_POLICY = _Utf8Headers()


def header_policy() -> EmailPolicy:
    """The policy mail is read with: the standard one, raw 8-bit header fields read as UTF-8."""
    return _POLICY


def _utf8(value: str) -> str:
    """A header value with raw bytes read as UTF-8 (Latin-1 when they are not UTF-8)."""
    try:
        value.encode("utf-8")
        return value  # nothing escaped
    except UnicodeEncodeError:
        pass
    raw = value.encode("utf-8", errors="surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_email(raw: bytes) -> ParsedEmail:
    """Read a mail from its bytes; UnreadableEmail when it is not one."""
    if not raw.strip():
        raise UnreadableEmail("the message is empty")
    try:
        message = BytesParser(policy=_POLICY).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it raises means "not a mail"
        raise UnreadableEmail(f"the MIME structure cannot be read: {error}") from None
    assert isinstance(message, EmailMessage)
    if not message.keys():
        raise UnreadableEmail("the message has no headers")
    problems: list[str] = []
    name, sender = _sender(message, "From", problems)
    _name, reply_to = _sender(message, "Reply-To", problems)
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
        to=_addresses(message, "To", problems),
        sent_at=_date(_header(message, "Date", problems)),
        text=text,
        reply=reply_text(text),
        html_only=html_only,
        attachments=tuple(_attachments(message, problems)),
        automatic=_automatic(message),
        problems=tuple(problems),
        reply_to=reply_to,
        cc=_addresses(message, "Cc", problems),
        delivered_to=tuple(
            address
            for name in ("Delivered-To", "X-Original-To", "Envelope-To")
            for address in _addresses(message, name, problems)
        ),
        auth_results=authentication_results(_all(message, "Authentication-Results")),
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


def _sender(message: EmailMessage, name: str, problems: list[str]) -> tuple[str | None, str | None]:
    """(display name, normalised address) of the first mailbox in a From or Reply-To field."""
    value = _header(message, name, problems)
    try:
        header = message.get(name)
        addresses = getattr(header, "addresses", ())
        for address in addresses:
            if isinstance(address, Address) and address.addr_spec and "@" in address.addr_spec:
                found = normalise_address(address.addr_spec)
                if found is not None:
                    return (one_line(address.display_name) or None, found)
    except Exception as error:
        problems.append(f"{name}: {error}")
    for display, address in getaddresses([value]):
        found = normalise_address(address)
        if found is not None:
            return (one_line(display) or None, found)
    return (None, None)


def _addresses(message: EmailMessage, name: str, problems: list[str]) -> tuple[str, ...]:
    values = [_header(message, name, problems)] if name in ("To", "Cc") else _all(message, name)
    found = (normalise_address(address) for _, address in getaddresses(values))
    return tuple(dict.fromkeys(address for address in found if address is not None))


def _all(message: EmailMessage, name: str) -> list[str]:
    """Every field of that name, topmost first, as text (one that cannot be read is skipped)."""
    values = []
    for value in message.get_all(name, failobj=[]):
        try:
            values.append(str(value))
        except Exception:  # a field the policy cannot make sense of counts as absent
            continue
    return values


def normalise_address(value: str | None) -> str | None:
    """An e-mail address in the one form Escalon stores and compares, or None if it is not one.

    The domain is case-insensitive and may come as Unicode or in its ASCII (IDNA, "xn--") form:
    both become the Unicode form in lower case. The local part is kept in Unicode NFC and in
    lower case: strictly it may be case-sensitive, but no mail service of note treats it so, and
    Escalon has always matched customers' addresses regardless of case.
    """
    if not value:
        return None
    text = one_line(value).strip().strip("<>").strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in text):
        return None
    local = unicodedata.normalize("NFC", local).lower()
    domain = unicodedata.normalize("NFC", domain.rstrip(".")).lower()
    # Not a valid IDNA name (an underscore, a lone label...): kept as written.
    with contextlib.suppress(idna.IDNAError, UnicodeError, ValueError):
        domain = idna.decode(domain)
    return f"{local}@{domain}" if domain else None


def domain_of(address: str | None) -> str | None:
    """The domain of an address (or of a bare domain) in normalised form."""
    if not address:
        return None
    found = normalise_address(address if "@" in address else f"x@{address}")
    return None if found is None else found.rpartition("@")[2]


# -- Authentication-Results (RFC 8601) -----------------------------------------------------------

_PAIR = re.compile(r'([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')


def authentication_results(values: list[str]) -> tuple[AuthResult, ...]:
    """The results in Authentication-Results field values, in the order given.

    Tolerant: comments are dropped, unknown methods and properties kept, a value may be UTF-8
    (RFC 8616); a part that cannot be read is skipped rather than trusted. `values` are the
    fields topmost first; only the topmost field of each authserv-id is read.
    """
    found: list[AuthResult] = []
    servers: set[str] = set()
    for value in values:
        parts = split_outside_quotes(_without_comments(one_line(value)), ";")
        head = parts[0].split() if parts else []
        if not head or "=" in head[0]:
            continue  # no authserv-id: nobody vouches for these results
        authserv_id = head[0].strip('"').lower()
        if authserv_id in servers:
            # A server's verdict is the topmost field it wrote: one further down with its name
            # was in the mail before it arrived (forged, or from an earlier hop).
            continue
        servers.add(authserv_id)
        for part in parts[1:]:
            pairs = [(key.lower(), raw.strip('"')) for key, raw in _PAIR.findall(part)]
            if not pairs:
                continue
            method, result = pairs[0]
            found.append(
                AuthResult(
                    authserv_id,
                    method.partition("/")[0],
                    result.lower(),
                    tuple((key, val) for key, val in pairs[1:] if "." in key),
                )
            )
    return tuple(found)


def _without_comments(text: str) -> str:
    """The text without (comments), which may nest; quoted strings are kept as they are."""
    kept: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                kept.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                kept.append(char)
            continue
        if quoted:
            quoted = char != '"'
            kept.append(char)
        elif char == '"' and depth == 0:
            quoted = True
            kept.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


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
