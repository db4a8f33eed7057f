"""Which mail this is and who vouches for its sender: the fingerprint that names one mail across
its deliveries, and whether the receiving mail server verified its From."""

from __future__ import annotations

import hashlib

from escalon.channels.email import ParsedEmail, domain_of

# Fields each delivery adds on its way (trace and verdicts): not part of a mail's fingerprint.
TRACE_FIELDS = frozenset(
    {
        b"received",
        b"return-path",
        b"delivered-to",
        b"x-original-to",
        b"x-delivered-to",
        b"envelope-to",
        b"x-envelope-from",
        b"x-envelope-to",
        b"authentication-results",
        b"arc-authentication-results",
        b"arc-seal",
        b"arc-message-signature",
        b"received-spf",
        b"x-received",
        b"x-virus-scanned",
    }
)
_TRACE_PREFIXES = (b"x-spam-", b"x-virus-", b"x-rspamd-", b"x-amavis-")


def content_fingerprint(raw: bytes) -> str:
    """The mail's identity across deliveries: SHA-256 of its header fields (trace fields such as
    Received and Delivered-To left out) and its body, line endings made alike. It covers the
    Message-ID field, so two mails match only with the same Message-ID and the same content."""
    text = raw.replace(b"\r\n", b"\n")
    head, _blank, body = text.partition(b"\n\n")
    digest = hashlib.sha256()
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the field above
            if not skipping:
                digest.update(line.rstrip() + b"\n")
            continue
        name = line.partition(b":")[0].strip().lower()
        skipping = name in TRACE_FIELDS or name.startswith(_TRACE_PREFIXES)
        if not skipping:
            digest.update(line.rstrip() + b"\n")
    digest.update(b"\n")
    digest.update(body.rstrip(b"\n"))
    return digest.hexdigest()


def sender_verified(mail: ParsedEmail, authserv_id: str) -> bool:
    """Whether the named server's Authentication-Results vouch for the mail's From: dmarc=pass
    for its domain, or a dkim or spf pass for a domain aligned with it."""
    domain = domain_of(mail.sender)
    if domain is None:
        return False
    wanted = authserv_id.strip().lower()
    for result in mail.auth_results:
        if result.authserv_id != wanted or result.result != "pass":
            continue
        if result.method == "dmarc":
            checked = domain_of(result.get("header.from"))
            if checked is None or checked == domain:
                return True
        elif result.method == "dkim":
            identity = result.get("header.i") or ""
            signer = result.get("header.d") or identity.rpartition("@")[2] or None
            if _aligned(domain_of(signer), domain):
                return True
        elif result.method == "spf":
            bounce = result.get("smtp.mailfrom") or ""
            if _aligned(domain_of(bounce.rpartition("@")[2] or None), domain):
                return True
    return False


def _aligned(checked: str | None, domain: str) -> bool:
    """DMARC's relaxed alignment, approximated without the public suffix list: the same domain,
    or one a subdomain of the other (never two sibling subdomains)."""
    if not checked:
        return False
    return checked == domain or domain.endswith("." + checked) or checked.endswith("." + domain)
