"""The dashboard's mail review page: stored inbound mail that is not in a case (held for want of
a policy, after a failure, or over a sender's limit; interrupted deliveries), with retry and
dismiss. Supervisors and admins only, like `GET /api/v1/inbound-emails`. Not in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from escalon.admin_audit import service as admin_audit
from escalon.channels import mail, review
from escalon.channels.email import UnreadableEmail, parse_email
from escalon.channels.schemas import InboundStatus
from escalon.errors import EscalonError
from escalon.request_params import PathId
from escalon.services import Services
from escalon.web.access import scope_of
from escalon.web.common import (
    HEADERS,
    Csrf,
    Parts,
    Visit,
    forbidden,
    form_visit,
    page,
    redirect,
    supervisor_visit,
)

router = APIRouter(prefix="/ui", include_in_schema=False)
STATUSES: tuple[str, ...] = get_args(InboundStatus)
LIST = "/ui/mail-review"
_PREVIEW_CHARS = 20_000
_WHO = "Only supervisors and admins see the mail review list."


def _supervisor(request: Request, parts: Parts) -> Visit | Response:
    with parts.database.read() as session:
        return supervisor_visit(request, session, parts, _WHO)


@router.get("/mail-review", response_class=HTMLResponse)
def mail_review(
    request: Request, parts: Parts, status: str = "waiting", done: str | None = None
) -> Response:
    """Stored mail by status; by default what waits for a person. `done` names a mail just
    retried or dismissed: the page says what it is now (read here, never taken from the link)."""
    visit = _supervisor(request, parts)
    if not isinstance(visit, Visit):
        return visit
    wanted = status if status in STATUSES else "waiting"
    now = parts.clock.now_us()
    said = None
    with parts.database.read() as session:
        scope = scope_of(session, visit, parts)
        rows = review.listed(session, status=wanted, now=now, limit=200, scope=scope)
        if done is not None and done.isdigit() and len(done) <= 18:
            try:
                row, _raw = review.one(session, int(done), now=now, scope=scope)
            except EscalonError:
                row = None
            if row is not None:
                where = f"case #{row.case_id}" if row.case_id else "not in a case"
                said = f"Mail {row.id} is now {row.status} ({where})."
    return page(
        "mail_review.html", visit=visit, rows=rows, status=wanted, statuses=STATUSES, done=said
    )


def _stored(
    inbound_id: int, request: Request, parts: Services
) -> tuple[Visit, review.Row, bytes] | Response:
    """The supervisor's visit, the stored mail's row and its bytes; or the page that says why
    not (no session, not a supervisor, no such mail or one in a case they may not see)."""
    visit = _supervisor(request, parts)
    if not isinstance(visit, Visit):
        return visit
    try:
        with parts.database.read() as session:
            row, raw = review.one(
                session, inbound_id, now=parts.clock.now_us(), scope=scope_of(session, visit, parts)
            )
    except EscalonError as error:
        return page("notice.html", error.status, title="No such mail", text=str(error), visit=visit)
    return visit, row, raw


@router.get("/mail-review/{inbound_id}", response_class=HTMLResponse)
def mail_detail(inbound_id: PathId, request: Request, parts: Parts) -> Response:
    """One stored mail: its header fields and its text (as text, never as HTML)."""
    found = _stored(inbound_id, request, parts)
    if isinstance(found, Response):
        return found
    visit, row, raw = found
    try:
        text = parse_email(raw).text[:_PREVIEW_CHARS]
    except UnreadableEmail as error:
        text = f"(the mail cannot be read: {error})"
    return page("mail_detail.html", visit=visit, row=row, headers=review.headers(raw), text=text)


@router.get("/mail-review/{inbound_id}/raw")
def mail_raw(inbound_id: PathId, request: Request, parts: Parts) -> Response:
    """The mail as it arrived, as a download (never shown inline)."""
    found = _stored(inbound_id, request, parts)
    if isinstance(found, Response):
        return found
    return Response(
        found[2],
        media_type="message/rfc822",
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="inbound-{inbound_id}.eml"',
        },
    )


@router.post("/mail-review/{inbound_id}/retry", response_class=HTMLResponse)
def mail_retry(
    inbound_id: PathId, request: Request, parts: Parts, csrf_token: Csrf = ""
) -> Response:
    """Take a held mail again; back to the list, which says what happened."""

    def retry(visit: Visit, now: int) -> None:
        with parts.database.read() as session:
            review.one(session, inbound_id, now=now, scope=scope_of(session, visit, parts))
        received = mail.retry(
            parts.database,
            inbound_id,
            now=now,
            by=visit.principal.username,
            intake=mail.intake_from(parts.settings, parts.analyzer),
        )
        with parts.database.write() as session:
            _audit(
                session,
                visit,
                now,
                "inbound_email.retried",
                inbound_id,
                {"outcome": received.outcome, "case_id": received.case_id},
            )

    return _act(inbound_id, request, parts, csrf_token, "retried", retry)


@router.post("/mail-review/{inbound_id}/dismiss", response_class=HTMLResponse)
def mail_dismiss(
    inbound_id: PathId,
    request: Request,
    parts: Parts,
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Mark a held mail as needing no case; back to the list."""

    def dismiss(visit: Visit, now: int) -> None:
        with parts.database.write() as session:
            review.one(session, inbound_id, now=now, scope=scope_of(session, visit, parts))
            mail.dismiss(
                session, inbound_id, now=now, by=visit.principal.username, note=note or None
            )
            _audit(
                session,
                visit,
                now,
                "inbound_email.dismissed",
                inbound_id,
                {"note": note} if note else None,
            )

    return _act(inbound_id, request, parts, csrf_token, "dismissed", dismiss)


def _act(
    inbound_id: int,
    request: Request,
    parts: Parts,
    csrf_token: str,
    done: str,
    action: Callable[[Visit, int], None],
) -> Response:
    """Check the session, the CSRF token and that the person supervises, run `action(visit,
    now)` and go back to the list; a refusal is a page saying the mail was not `done`."""
    visit = form_visit(request, parts, csrf_token)
    if not isinstance(visit, Visit):
        return visit
    if not visit.supervises:
        return forbidden(_WHO)
    try:
        action(visit, parts.clock.now_us())
    except EscalonError as error:
        title = f"Mail {inbound_id} was not {done}"
        return page("notice.html", error.status, title=title, text=str(error), visit=visit)
    return redirect(f"{LIST}?done={inbound_id}")


def _audit(
    session: Session,
    visit: Visit,
    now: int,
    action: str,
    inbound_id: int,
    data: dict[str, Any] | None,
) -> None:
    target = f"inbound_email:{inbound_id}"
    admin_audit.record_by(
        session, visit.principal, via="ui", action=action, target=target, at=now, data=data
    )
