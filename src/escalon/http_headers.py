"""Security headers: a Content-Security-Policy with a fresh nonce for each page, and defaults
that every other response gets (no framing, no sniffing, no Referer).

Pages (the dashboard, the customer's status and survey pages) allow only the scripts and styles
that carry their response's nonce: an injected `<script>` or `style=` attribute does not run.
Everything Escalon answers refuses to be framed by another site. See docs/operations.md.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Answers that are not pages (JSON, metrics, redirects) load nothing and show in no frame.
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"
# A page that names no policy of its own (/docs and /redoc name theirs: escalon.api.docs): it
# may not be framed, nothing more.
OTHER_PAGES = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
DEFAULTS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def for_answers() -> dict[str, str]:
    """The headers of an answer that is not a page (for those made outside the middleware)."""
    return {**DEFAULTS, "Content-Security-Policy": NOT_A_PAGE}


def new_nonce() -> str:
    """A nonce for one response's scripts and styles (128 random bits)."""
    return secrets.token_urlsafe(16)


def page_policy(nonce: str) -> str:
    """The Content-Security-Policy of a page rendered with `nonce` on its scripts and styles."""
    allowed = f"'nonce-{nonce}'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {allowed}",
            f"style-src {allowed}",
            "img-src 'self' data:",
            "connect-src 'self'",  # the pages' own refreshes (fetch)
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


class SecurityHeaders:
    """ASGI middleware adding the default headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULTS.items():
                    headers.setdefault(name, value)
                page = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", OTHER_PAGES if page else NOT_A_PAGE)
            await send(message)

        await self.app(scope, receive, with_headers)
