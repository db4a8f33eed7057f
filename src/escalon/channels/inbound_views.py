"""HTTP endpoints of the review list of inbound mail (supervisors and admins) and of a case's
e-mail participants (staff who may see the case)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import insert
from sqlalchemy.orm import Session

from escalon.auth.access import Staff, Supervisor
from escalon.cases import visibility
from escalon.cases.models import AuditEntry
from escalon.channels import mail, participants, review
from escalon.channels.email import normalise_address
from escalon.channels.schemas import (
    DismissIn,
    InboundEmailDetail,
    InboundEmailOut,
    InboundStatus,
    ParticipantIn,
    ParticipantOut,
    RetryOut,
)
from escalon.errors import Invalid, NotFound, error_responses
from escalon.outputs import from_row

router = APIRouter(prefix="/api/v1", tags=["inbound mail"])
Id = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]


def _out(row: review.Row) -> InboundEmailOut:
    return from_row(InboundEmailOut, row)


@router.get("/inbound-emails", responses=error_responses(401, 403, 422))
def list_inbound(
    context: Supervisor,
    status_: Annotated[InboundStatus, Query(alias="status")] = "waiting",
    before: Annotated[int | None, Query(ge=1, le=2**62, description="ids below this")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[InboundEmailOut]:
    """Stored inbound mail, newest first. `waiting` (the default) is the review list: mail held
    out of a case (no active policy, a failure, a sender over its limit) and interrupted."""
    with context.db.read() as session:
        rows = review.listed(
            session,
            status=status_,
            now=context.now(),
            limit=limit,
            before=before,
            scope=context.scope(session),
        )
    return [_out(row) for row in rows]


@router.get("/inbound-emails/{inbound_id}", responses=error_responses(401, 403, 404, 422))
def get_inbound(inbound_id: Id, context: Supervisor) -> InboundEmailDetail:
    """One stored mail with its header fields."""
    with context.db.read() as session:
        row, raw = review.one(session, inbound_id, now=context.now(), scope=context.scope(session))
    return InboundEmailDetail(**_out(row).model_dump(), headers=review.headers(raw))


@router.get(
    "/inbound-emails/{inbound_id}/raw",
    responses={
        **error_responses(401, 403, 404, 422),
        200: {"content": {"message/rfc822": {}}, "description": "the mail as it arrived"},
    },
    response_class=Response,
)
def raw_inbound(inbound_id: Id, context: Supervisor) -> Response:
    """The mail exactly as it arrived, to download (never shown inline)."""
    with context.db.read() as session:
        _row, raw = review.one(session, inbound_id, now=context.now(), scope=context.scope(session))
    return Response(
        raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="inbound-{inbound_id}.eml"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/inbound-emails/{inbound_id}/retry", responses=error_responses(401, 403, 404, 409, 422)
)
def retry_inbound(inbound_id: Id, context: Supervisor) -> RetryOut:
    """Take a held (or dismissed, or interrupted) mail again, e.g. once a policy is active."""
    parts = context.services
    with context.db.read() as session:
        review.one(session, inbound_id, now=context.now(), scope=context.scope(session))
    received = mail.retry(
        context.db,
        inbound_id,
        now=context.now(),
        by=context.principal.username,
        intake=mail.intake_from(parts.settings, parts.analyzer),
    )
    with context.db.write() as session:
        context.audit(
            session,
            "inbound_email.retried",
            f"inbound_email:{inbound_id}",
            {"outcome": received.outcome, "case_id": received.case_id},
        )
    with context.db.read() as session:
        row, _raw = review.one(session, inbound_id, now=context.now())
    return RetryOut(outcome=received.outcome, note=received.note, email=_out(row))


@router.post(
    "/inbound-emails/{inbound_id}/dismiss", responses=error_responses(401, 403, 404, 409, 422)
)
def dismiss_inbound(
    inbound_id: Id, context: Supervisor, body: DismissIn | None = None
) -> InboundEmailOut:
    """Mark a held mail as needing no case; it stays stored and can still be retried."""
    note = body.note if body is not None else None
    with context.db.write() as session:
        review.one(session, inbound_id, now=context.now(), scope=context.scope(session))
        mail.dismiss(
            session, inbound_id, now=context.now(), by=context.principal.username, note=note
        )
        context.audit(
            session,
            "inbound_email.dismissed",
            f"inbound_email:{inbound_id}",
            {"note": note} if note else None,
        )
    with context.db.read() as session:
        row, _raw = review.one(session, inbound_id, now=context.now())
    return _out(row)


# -- a case's e-mail participants ---------------------------------------------------------------


def _participant_out(found: participants.Participant) -> ParticipantOut:
    return from_row(ParticipantOut, found, instants=("added_at",))


@router.get("/cases/{case_id}/participants", responses=error_responses(401, 403, 404, 422))
def list_participants(case_id: Id, context: Staff) -> list[ParticipantOut]:
    """Who may write into the case by e-mail besides its customer."""
    with context.db.read() as session:
        visibility.require(session, context.scope(session), case_id)
        return [_participant_out(p) for p in participants.listed(session, case_id)]


@router.post(
    "/cases/{case_id}/participants",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422),
)
def add_participant(case_id: Id, body: ParticipantIn, context: Staff) -> list[ParticipantOut]:
    """Let an address write into the case by e-mail (its mail is stored under its own name)."""
    address = normalise_address(body.address)
    if address is None or len(address) > 320:
        raise Invalid(f"{body.address!r} is not an e-mail address Escalon can keep")
    now = context.now()
    with context.db.write() as session:
        visibility.require(session, context.scope(session), case_id)
        added = participants.add(
            session,
            case_id=case_id,
            addresses=[address],
            source="staff",
            by=context.principal.name,
            now=now,
        )
        if added:
            _case_audit(session, case_id, context.principal.name, "participant.added", address, now)
        return [_participant_out(p) for p in participants.listed(session, case_id)]


@router.delete(
    "/cases/{case_id}/participants/{address}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422),
)
def remove_participant(
    case_id: Id,
    address: Annotated[str, Path(min_length=3, max_length=320)],
    context: Staff,
) -> Response:
    """Stop an address from writing into the case by e-mail."""
    normalised = normalise_address(address)
    now = context.now()
    with context.db.write() as session:
        visibility.require(session, context.scope(session), case_id)
        if normalised is None or not participants.remove(
            session, case_id=case_id, address=normalised
        ):
            raise NotFound(f"{address!r} is not a participant of case {case_id}")
        _case_audit(
            session, case_id, context.principal.name, "participant.removed", normalised, now
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _case_audit(
    session: Session, case_id: int, actor: str, kind: str, address: str, now: int
) -> None:
    """The change in the case's own audit trail."""
    session.execute(
        insert(AuditEntry),
        {
            "case_id": case_id,
            "at": now,
            "recorded_at": now,
            "actor": actor,
            "kind": kind,
            "rule": None,
            "key": None,
            "data": {"address": address},
        },
    )
