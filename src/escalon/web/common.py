"""What every dashboard page shares: templates, headers, the signed-in visit, small formatters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from escalon.auth import service as auth
from escalon.auth import sessions
from escalon.auth.access import STAFF, services
from escalon.cases import acting
from escalon.services import Services
from escalon.templating import PAGE_HEADERS, html_page, page_templates
from escalon.web import session as ui

Parts = Annotated[Services, Depends(services)]
Text = Annotated[str | None, Query(max_length=200)]

SIGN_IN = "/ui/sign-in"
QUEUE = "/ui/queue"
OPEN_STATUSES = ("open", "pending_customer", "pending_third_party", "on_hold")
STATUSES = (*OPEN_STATUSES, "resolved", "closed")
MINUTE_US = 60 * 1_000_000
WARNING_US = 30 * MINUTE_US
# Where the practice mount puts the trainee's visit inside a sandbox, once it has checked their
# dashboard session with the installation (`escalon.web.practice`).
VISIT_SCOPE = "escalon.practice_visit"
HEADERS = {**PAGE_HEADERS, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}

templates = page_templates("escalon.web")


def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A rendered template with the dashboard's headers (and its own nonce: `html_page`)."""
    return html_page(templates, name, status_code, HEADERS, **context)


def redirect(to: str) -> RedirectResponse:
    """See other: where a form sends the browser after it has done its work."""
    return RedirectResponse(to, status_code=303, headers=HEADERS)


def forbidden(text: str) -> HTMLResponse:
    """A page that says what the person may not do."""
    return page("notice.html", 403, title="Not allowed", text=text, visit=None)


def csrf_failed() -> HTMLResponse:
    """The answer to a form whose CSRF token is missing or wrong."""
    return page(
        "notice.html",
        403,
        title="This form could not be accepted",
        text="The form was missing its security token or it did not match your session "
        "(it may be from an old page, or from another site). Go back, reload the page and "
        "try again.",
        visit=None,
    )


@dataclass(frozen=True, slots=True)
class Visit:
    """A signed-in request: who, their session, and the CSRF token of its forms."""

    principal: auth.Principal
    session: sessions.Opened
    csrf: str
    at: int  # when the session was checked (µs)

    @property
    def actor(self) -> acting.Actor:
        """The person as the case use cases name them."""
        p = self.principal
        return acting.Actor(p.user_id, p.name, p.role, p.agent)

    @property
    def supervises(self) -> bool:
        """Whether the person may do what supervisors do (de-escalate, decide approvals)."""
        return self.principal.role in ("admin", "supervisor")

    def csrf_ok(self, sent: str) -> bool:
        """Whether a form's CSRF token is this session's."""
        return ui.csrf_ok(self.session.secret_hash, sent, now=self.at)


def visit_of(request: Request, session: Session, parts: Services) -> Visit | None:
    """The signed-in staff member behind a request, or None (send them to sign in).

    The session row is read on every request (no cache): an ended session, a revoked token or
    a disabled user is refused at once, in every process. Under the practice mount the visit
    was checked with the installation already, and is the trainee as the sandbox knows them.
    """
    vouched: Visit | None = request.scope.get(VISIT_SCOPE)
    if vouched is not None:
        return vouched
    secret = request.cookies.get(ui.COOKIE)
    if not secret:
        return None
    now = parts.clock.now_us()
    idle_us = round(parts.settings.session_idle_minutes * 60 * 1_000_000)
    found = sessions.opened(session, secret, now=now, idle_us=idle_us)
    if found is None or found.role not in STAFF:
        return None
    if found.needs_touch(now):
        with parts.database.write() as writing:
            sessions.touch(writing, session_id=found.id, now=now)
    principal = auth.Principal(
        found.user_id,
        found.username,
        found.role,
        found.agent,
        found.token_id,
        found.token_hash,
        found.token_expires_at,
    )
    return Visit(principal, found, ui.csrf_token(found.secret_hash), now)


# A posted form's CSRF token (`Visit.csrf_ok` checks it).
Csrf = Annotated[str, Form(max_length=200)]


def form_visit(request: Request, parts: Services, csrf_token: str) -> Visit | Response:
    """The visit behind a posted form, or the answer when it has no session or a wrong token."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
    if visit is None:
        return redirect(SIGN_IN)
    if not visit.csrf_ok(csrf_token):
        return csrf_failed()
    return visit


def cookie_secure(request: Request) -> bool:
    """Whether dashboard cookies carry the Secure flag (ESCALON_COOKIE_SECURE): always, never,
    or (auto) when the request came over HTTPS or customers reach Escalon at an https address
    (behind a proxy that ends TLS, the request itself looks like plain HTTP)."""
    settings = services(request).settings
    if settings.cookie_secure != "auto":
        return settings.cookie_secure == "always"
    return request.url.scheme == "https" or settings.public_url.lower().startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    """A dashboard cookie: HTTP only, same-site lax, Secure by ESCALON_COOKIE_SECURE, under /ui."""
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/ui",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )


def delete_cookie(request: Request, response: Response, name: str) -> None:
    """Remove a dashboard cookie (with the attributes it was set with, so browsers drop it)."""
    response.delete_cookie(
        name, path="/ui", httponly=True, samesite="lax", secure=cookie_secure(request)
    )


def duration(us: int) -> str:
    """A span as people say it: 3 d 4 h, 2 h 5 min, 12 min."""
    minutes = max(us // MINUTE_US, 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def countdown(due_us: int | None, now: int, warning_us: int | None = None) -> tuple[str, str]:
    """The SLA countdown of a case and its CSS class: red when overdue, amber from the SLA's
    warning instant (within 30 min of the due instant when the warning instant is unknown)."""
    if due_us is None:
        return "—", ""
    left = due_us - now
    if left <= 0:
        return f"overdue {duration(-left)}", "due-breach"
    warned = left <= WARNING_US if warning_us is None else warning_us <= now
    return f"in {duration(left)}", "due-warning" if warned else ""


def signed_in_visit(request: Request, session: Session, parts: Services) -> Visit | Response:
    """The signed-in staff member behind a request, or the sign-in page to send them to."""
    visit = visit_of(request, session, parts)
    return redirect(SIGN_IN) if visit is None else visit


def supervisor_visit(
    request: Request, session: Session, parts: Services, refusal: str
) -> Visit | Response:
    """The signed-in supervisor, manager or admin behind a request; otherwise the answer to
    give: the sign-in page, or `refusal` (403)."""
    visit = visit_of(request, session, parts)
    if visit is None:
        return redirect(SIGN_IN)
    if not visit.supervises:
        return forbidden(refusal)
    return visit
