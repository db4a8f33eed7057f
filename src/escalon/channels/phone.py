"""Phone calls: an inbound call opens a case (channel `phone`); a call with a case's customer is
logged as the agent's message. The functions commit nothing: they write in the caller's
transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from escalon.cases import messages, opening
from escalon.cases.acting import Actor
from escalon.cases.schemas import CaseCreate, MessageIn
from escalon.channels import intake
from escalon.channels.schemas import CallIn, InboundCallIn
from escalon.core.signals import TextAnalyzer


def log_call(
    session: Session,
    *,
    case_id: int,
    request: CallIn,
    actor: Actor,
    now: int,
    if_match: int | None = None,
) -> int:
    """Log a call as the agent's message (channel `phone`); returns the message id.

    A call that reached the customer (or left them a voicemail) answers them: a public agent
    message, which meets a running response clock. A call nobody answered is an internal note.
    """
    message = intake.build(
        MessageIn,
        author="agent",
        public=request.outcome != "no_answer",
        channel="phone",
        subject=f"{request.direction.title()} call",
        body=request.notes.strip() or _call_summary(request),
    )
    details = {
        "direction": request.direction,
        "duration_seconds": request.duration_seconds,
        "outcome": request.outcome,
    }
    return messages.post_message(
        session,
        case_id=case_id,
        request=message,
        actor=actor,
        now=now,
        analyzer=None,
        if_match=if_match,
        details=details,
    )


def open_call(
    session: Session,
    *,
    request: InboundCallIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    idempotency_key: str | None = None,
) -> opening.Opened:
    """Open a case (channel `phone`) from an inbound call: the notes are its opening message.

    With an outcome the call is logged too (`log_call`), so a call that helped the customer
    meets the first response at once. A replayed request (same Idempotency-Key) logs nothing.
    """
    opened = opening.open_case(
        session,
        request=call_case(request),
        actor=actor,
        now=now,
        analyzer=analyzer,
        idempotency_key=idempotency_key,
        message_details={"direction": "inbound", "logged_by": actor.name},
    )
    if not opened.replayed and request.outcome is not None:
        call = intake.build(
            CallIn,
            direction="inbound",
            duration_seconds=request.duration_seconds,
            outcome=request.outcome,
        )
        log_call(session, case_id=opened.case_id, request=call, actor=actor, now=now)
    return opened


def call_case(request: InboundCallIn) -> CaseCreate:
    """The case an inbound call opens (also what an Idempotency-Key's request is compared by)."""
    return intake.build(
        CaseCreate,
        customer_id=request.customer_id,
        customer=request.customer,
        subject=request.subject,
        body=request.notes,
        channel="phone",
        category=request.category,
        priority=request.priority,
    )


def _call_summary(call: CallIn) -> str:
    minutes, seconds = divmod(call.duration_seconds, 60)
    length = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    return f"{call.direction.title()} call, {length}: {call.outcome.replace('_', ' ')}"
