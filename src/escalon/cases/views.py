"""HTTP endpoints for customers and cases: they translate requests to use cases and back, no more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth.access import STAFF, Admin, Context, Reader, Staff, Supervisor
from escalon.cases import (
    approvals,
    assigning,
    customers,
    escalation,
    idempotency,
    messages,
    opening,
    policy_migration,
    queries,
    search,
    updating,
    visibility,
)
from escalon.cases.acting import Actor
from escalon.cases.models import Customer
from escalon.cases.schemas import (
    ApprovalDecisionIn,
    ApprovalIn,
    ApprovalOut,
    AssignIn,
    AuditPage,
    BulkAssignIn,
    BulkAssignOut,
    BulkAssignResult,
    CaseCreate,
    CaseDetailOut,
    CaseOut,
    CasePage,
    CasePatch,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    DeEscalateIn,
    DueClock,
    EscalateIn,
    EscalationOut,
    LikelyEscalationsOut,
    MessageIn,
    MessageOut,
    MigrateIn,
    SlaOut,
    Status,
    SurveyIn,
)
from escalon.errors import (
    CREATES,
    Conflict,
    Detail,
    Forbidden,
    Invalid,
    NotFound,
    VersionRequired,
    error_responses,
)
from escalon.forecast import risk
from escalon.notifications import replies
from escalon.organisations import service as organisations
from escalon.people import service as people_service
from escalon.request_params import AfterId, DateTime, IfMatch, instant_us

router = APIRouter(prefix="/api/v1")
Id = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]
_READ = error_responses(401, 403, 404, 422)
_WRITE = error_responses(400, 401, 403, 404, 409, 412, 422)
# What an endpoint that opens a case answers besides 201.
OPENING_RESPONSES: dict[int | str, Any] = {
    200: {"model": CaseOut, "description": "Replayed: an earlier request with this key"},
    **error_responses(400, 401, 403, 409, 422),
}
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same key when retrying: the case is created, the reply sent, once",
    ),
]


class By(TypedDict):
    """Who acts and when: what every use case takes from its caller besides the request."""

    actor: Actor
    now: int


def by(context: Context) -> By:
    """The caller and the current instant, passed on to a use case as `**by(context)`."""
    return By(actor=context.actor, now=context.now())


def _etag(response: Response, case: CaseOut) -> CaseOut:
    response.headers["ETag"] = f'"{case.version}"'
    return case


def _written(session: Session, case_id: int) -> CaseOut:
    """A case as a change just left it: the use case checked the caller may act on it, and they
    see the outcome of their own change even when it moved the case out of their sight."""
    return queries.get_case(session, case_id, scope=visibility.EVERYTHING)


def _act_on_case(
    act: Callable[..., object],
    context: Context,
    response: Response,
    case_id: int,
    /,
    **arguments: Any,
) -> CaseOut:
    """Run a use case on one case in its own transaction: the case as it left it, with its ETag."""
    with context.db.write() as session:
        act(session, case_id=case_id, **arguments, **by(context))
        return _etag(response, _written(session, case_id))


# -- customers ---------------------------------------------------------------------------------


@router.post("/customers", tags=["customers"], **CREATES)
def create_customer(body: CustomerIn, context: Reader) -> CustomerOut:
    """Add a customer (409 if the ref is taken)."""
    with context.db.write() as session:
        if session.scalar(select(Customer.id).where(Customer.ref == body.ref)) is not None:
            raise Conflict(f"a customer with ref {body.ref!r} already exists")
        created, _new = customers.find_or_create(session, data=body, now=context.now())
        customer = session.get(Customer, created.id)
        assert customer is not None  # just written in this transaction
        return queries.customer_out(customer)


@router.get("/customers", tags=["customers"], responses=error_responses(401, 403, 422))
def list_customers(
    context: Reader,
    ref: Annotated[str | None, Query(max_length=200)] = None,
    after: AfterId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[CustomerOut]:
    """Customers by id (after `after`), or the one with `ref`."""
    with context.db.read() as session:
        query = select(Customer).order_by(Customer.id).limit(limit)
        if ref is not None:
            query = query.where(Customer.ref == ref)
        if after is not None:
            query = query.where(Customer.id > after)
        return [queries.customer_out(c) for c in session.scalars(query)]


@router.get("/customers/{customer_id}", tags=["customers"], responses=_READ)
def get_customer(customer_id: Id, context: Reader) -> CustomerOut:
    """One customer."""
    with context.db.read() as session:
        return queries.customer_out(_customer(session, customer_id))


@router.patch(
    "/customers/{customer_id}",
    tags=["customers"],
    responses=error_responses(400, 401, 403, 404, 422),
)
def update_customer(customer_id: Id, body: CustomerPatch, context: Supervisor) -> CustomerOut:
    """Change a customer's name, e-mail or tier (supervisors; in the admin audit trail). Open
    cases keep the tier they were opened with."""
    with context.db.write() as session:
        customer = _customer(session, customer_id)
        changes = {
            name: [getattr(customer, name), getattr(body, name)]
            for name in body.model_fields_set
            if getattr(customer, name) != getattr(body, name)
        }
        for name in body.model_fields_set:
            setattr(customer, name, getattr(body, name))
        customer.updated_at = context.now()
        session.flush()
        if changes:
            context.audit(session, "customer.updated", f"customer:{customer.ref}", changes)
        if search.CUSTOMER_FIELDS & changes.keys():
            search.customer_changed(
                session,
                customer_id=customer.id,
                ref=customer.ref,
                name=customer.name,
                email=customer.email,
            )
        return queries.customer_out(customer)


def _customer(session: Session, customer_id: int) -> Customer:
    found = session.get(Customer, customer_id)
    if found is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return found


# -- cases -------------------------------------------------------------------------------------


@router.post(
    "/cases",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOut,
    tags=["cases"],
    responses=OPENING_RESPONSES,
)
def create_case(
    body: CaseCreate,
    context: Reader,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Open a case under the active policy; its opening rules fire at once."""

    def open_(session: Session) -> opening.Opened:
        return opening.open_case(
            session,
            request=body,
            analyzer=context.services.analyzer,
            idempotency_key=idempotency_key,
            **by(context),
        )

    return answer_opening(context, open_, request=body, idempotency_key=idempotency_key)


def answer_opening(
    context: Context,
    open_: Callable[[Session], opening.Opened],
    *,
    request: CaseCreate,
    idempotency_key: str | None,
) -> Response:
    """Open a case and answer 201 with it, or 200 with the case an earlier request with the
    same Idempotency-Key opened (`request` is what that request must have asked)."""
    try:
        with context.db.write() as session:
            opened = open_(session)
            replayed = opened.replayed
            if opened.row is not None:  # as just written: no need to read it back
                case = queries.case_out(opened.row, opened.row["tags"])
            else:
                case = queries.get_case(session, opened.case_id, scope=visibility.EVERYTHING)
    except idempotency.IdempotencyRace:
        # A request with the same key committed first: answer with its case.
        with context.db.read() as session:
            earlier = idempotency.replayed_case(
                session,
                user_id=context.principal.user_id,
                key=str(idempotency_key),
                request=request,
            )
            if earlier is None:
                raise Conflict(
                    "a request with this Idempotency-Key is in progress; retry"
                ) from None
            case, replayed = queries.get_case(session, earlier, scope=visibility.EVERYTHING), True
    headers = {"Location": f"/api/v1/cases/{case.id}", "ETag": f'"{case.version}"'}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    # Intake is the busiest endpoint: the case is serialized once, here, not validated again.
    return Response(
        case.model_dump_json(),
        status_code=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        headers=headers,
        media_type="application/json",
    )


@router.get("/cases", tags=["cases"], responses=error_responses(400, 401, 403, 422))
def list_cases(
    context: Reader,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    priority: Annotated[list[str] | None, Query(max_length=100)] = None,
    level: Annotated[list[str] | None, Query(max_length=100)] = None,
    team: Annotated[list[str] | None, Query(max_length=100)] = None,
    assignee: Annotated[str | None, Query(max_length=100)] = None,
    unassigned: bool | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    escalated: bool | None = None,
    awaiting_acknowledgement: bool | None = None,
    channel: Annotated[list[str] | None, Query(max_length=100)] = None,
    category: Annotated[list[str] | None, Query(max_length=100)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="words of the customer (ref, name, e-mail), subject or messages; "
            "every word must occur",
        ),
    ] = None,
    due: Annotated[
        list[DueClock] | None,
        Query(description="the clock that falls due first (any of those named)"),
    ] = None,
    opened_after: DateTime | None = None,
    opened_before: DateTime | None = None,
    root_cause: Annotated[
        list[str] | None,
        Query(
            max_length=100,
            description="the root cause named at resolution: a policy's code (or 'other'), or "
            "the words of a cause named without one",
        ),
    ] = None,
    resolved_after: DateTime | None = None,
    resolved_before: DateTime | None = None,
    topic: Annotated[
        list[Annotated[int, Field(ge=1, le=2**62)]] | None,
        Query(
            max_length=100,
            description="a recurring topic among escalated cases (`GET /api/v1/topics`): its id",
        ),
    ] = None,
    sort: Annotated[
        str, Query(pattern="^(-opened|opened|due)$", description="-opened, opened or due")
    ] = "-opened",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> CasePage:
    """Cases matching the filters, a page at a time."""
    filters = queries.CaseFilters(
        status=list(status_) if status_ else None,
        priority=priority,
        level=level,
        team=team,
        assignee=assignee,
        unassigned=unassigned,
        customer_id=customer_id,
        escalated=escalated,
        awaiting_acknowledgement=awaiting_acknowledgement,
        channel=channel,
        category=category,
        q=q,
        due=list(due) if due else None,
        opened_after=None if opened_after is None else instant_us(opened_after, "opened_after"),
        opened_before=None if opened_before is None else instant_us(opened_before, "opened_before"),
        root_cause=root_cause,
        resolved_after=None
        if resolved_after is None
        else instant_us(resolved_after, "resolved_after"),
        resolved_before=None
        if resolved_before is None
        else instant_us(resolved_before, "resolved_before"),
        topic=topic,
    )
    with context.db.read() as session:
        return queries.list_cases(
            session, filters, sort=sort, limit=limit, cursor=cursor, scope=context.scope(session)
        )


@router.get("/cases/likely-escalations", tags=["cases"], responses=error_responses(401, 403, 422))
def likely_escalations(
    context: Supervisor,
    limit: Annotated[int, Query(ge=1, le=risk.MAX_LIKELY)] = 50,
    at_least: Annotated[
        float, Query(ge=0, le=1, description="only cases whose probability is at least this")
    ] = 0.0,
) -> LikelyEscalationsOut:
    """Open cases in the caller's sight that were never escalated, highest escalation risk
    first, with the signals behind each (supervisors and admins)."""
    with context.db.read() as session:
        found = risk.likely(session, scope=context.scope(session), limit=limit, at_least=at_least)
        return risk.likely_out(session, found)


# Only digits match a case id, so another method on /cases/likely-escalations is a 405, not a
# 422 about the id.
@router.get("/cases/{case_id:int}", tags=["cases"], responses=_READ)
def get_case(
    case_id: Id,
    response: Response,
    context: Reader,
    timezone: Annotated[
        str | None,
        Query(
            max_length=64,
            description="show the deadlines in this IANA zone too (default: the viewer's own)",
        ),
    ] = None,
) -> CaseDetailOut:
    """One case, with its version as the ETag, whose time its time was (`attribution`) and its
    OLA clock; staff also see the customer's organisation, every running clock's due instant
    (`deadlines`, in the calendar's zone and their own) and the case's escalation risk."""
    viewer = _zone_of_query(timezone)
    with context.db.read() as session:
        case = queries.get_case(session, case_id, scope=context.scope(session), now=context.now())
        found = None
        if context.principal.role in STAFF:
            clocks = queries.sla(session, case_id, context.now(), scope=visibility.EVERYTHING)
            if viewer is None:
                viewer = people_service.zone_of(session, context.principal.agent)
            case = case.model_copy(
                update={
                    "deadlines": queries.deadlines(clocks, viewer),
                    "organisation": organisations.ref(
                        organisations.of_known_customer(session, case.customer.id)
                    ),
                }
            )
            found = risk.risk_out(risk.case_risk(session, case_id))
        detail = CaseDetailOut(**case.model_dump(), escalation_risk=found)
    _etag(response, case)
    return detail


def _zone_of_query(name: str | None) -> ZoneInfo | None:
    """The `timezone` query parameter as a zone; Invalid naming it when it is none."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            f"{name!r} is not a time zone",
            [
                Detail(
                    f"{name!r} is not an IANA time zone such as Asia/Tokyo", field="query.timezone"
                )
            ],
        ) from None


@router.patch("/cases/{case_id:int}", tags=["cases"], responses={**_WRITE, **error_responses(428)})
def update_case(
    case_id: Id, body: CasePatch, response: Response, context: Staff, version: IfMatch
) -> CaseOut:
    """Change status, priority, category, tier or channel. Requires If-Match."""
    if version is None:
        raise VersionRequired(
            'send the case\'s ETag in If-Match (e.g. If-Match: "3") so a stale change is refused'
        )
    return _act_on_case(
        updating.update_case, context, response, case_id, request=body, if_match=version
    )


@router.put("/cases/{case_id}/assignee", tags=["cases"], responses=_WRITE)
def assign_case(
    case_id: Id, body: AssignIn, response: Response, context: Staff, version: IfMatch
) -> CaseOut:
    """Give the case to an agent (by handle), or back to the team's queue (null)."""
    return _act_on_case(
        updating.assign_case, context, response, case_id, assignee=body.assignee, if_match=version
    )


@router.post("/assignments", tags=["cases"], responses=error_responses(400, 401, 403, 422))
def assign_cases(body: BulkAssignIn, context: Staff) -> BulkAssignOut:
    """Give several cases to one person at once; each case gets its own outcome (assigning
    again what is already theirs is done, unchanged)."""
    with context.db.write() as session:
        outcomes = assigning.assign_many(
            session, case_ids=body.case_ids, assignee=body.assignee, **by(context)
        )
    return BulkAssignOut(
        results=[
            BulkAssignResult(
                case_id=o.case_id, outcome=o.outcome, reason=o.reason, changed=o.changed
            )
            for o in outcomes
        ]
    )


@router.post(
    "/cases/{case_id}/messages",
    status_code=status.HTTP_201_CREATED,
    tags=["cases"],
    responses=_WRITE,  # and 413 (every operation with a body): an attachment too large
)
def post_message(
    case_id: Id,
    body: MessageIn,
    response: Response,
    context: Reader,
    version: IfMatch,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MessageOut:
    """Add a customer message, an agent's public reply or an internal note.

    A public agent message without a `channel` is a reply written here: it is queued for the
    customer on the case's own channel, and its `delivery` says how far it got."""
    if body.author == "agent" and context.principal.role == "integration":
        raise Forbidden("an integration posts customer messages; agents reply as themselves")
    with context.db.write() as session:
        message_id = messages.post_message(
            session,
            case_id=case_id,
            request=body,
            analyzer=context.services.analyzer,
            if_match=version,
            **by(context),
            deliver=body.channel is None,
            request_key=idempotency_key,
            files=[
                replies.ReplyFile(file.filename, file.content_type, file.content_base64)
                for file in body.attachments
            ],
        )
        response.headers["ETag"] = f'"{_written(session, case_id).version}"'
        return queries.get_message(session, message_id)


@router.get("/cases/{case_id}/messages", tags=["cases"], responses=_READ)
def list_messages(case_id: Id, context: Reader, public_only: bool = False) -> list[MessageOut]:
    """A case's messages, oldest first (an integration reads only the public ones)."""
    public_only = public_only or context.principal.role not in STAFF
    with context.db.read() as session:
        return queries.messages(
            session,
            case_id,
            public_only=public_only,
            scope=context.scope(session),
            with_delivery=context.principal.role in STAFF,
        )


@router.post("/cases/{case_id}/escalations", tags=["escalations"], responses=_WRITE)
def escalate(
    case_id: Id, body: EscalateIn, response: Response, context: Staff, version: IfMatch
) -> CaseOut:
    """Escalate by hand: up to a level (hierarchical) or to a team (functional), with a reason."""
    return _act_on_case(
        escalation.escalate_case, context, response, case_id, request=body, if_match=version
    )


@router.get("/cases/{case_id}/escalations", tags=["escalations"], responses=_READ)
def list_escalations(case_id: Id, context: Staff) -> list[EscalationOut]:
    """A case's escalations, de-escalations and routings, oldest first."""
    with context.db.read() as session:
        return queries.escalations(session, case_id, scope=context.scope(session))


@router.post("/cases/{case_id}/acknowledgement", tags=["escalations"], responses=_WRITE)
def acknowledge(case_id: Id, response: Response, context: Staff, version: IfMatch) -> CaseOut:
    """Acknowledge the case's latest escalation: you own it now."""
    return _act_on_case(escalation.acknowledge, context, response, case_id, if_match=version)


@router.post("/cases/{case_id}/de-escalation", tags=["escalations"], responses=_WRITE)
def de_escalate(
    case_id: Id, body: DeEscalateIn, response: Response, context: Supervisor, version: IfMatch
) -> CaseOut:
    """Return the case to a lower level with a hand-over note (supervisors)."""
    return _act_on_case(
        escalation.de_escalate, context, response, case_id, request=body, if_match=version
    )


@router.post(
    "/cases/{case_id}/approvals",
    status_code=status.HTTP_201_CREATED,
    tags=["approvals"],
    responses=_WRITE,
)
def request_approval(
    case_id: Id, body: ApprovalIn, response: Response, context: Staff, version: IfMatch
) -> ApprovalOut:
    """Ask to grant an amount: granted at once within your own authority (your own limit, else
    the level you staff; never the case's level), else pending until someone else whose
    authority covers it decides."""
    with context.db.write() as session:
        approval_id = approvals.request_approval(
            session, case_id=case_id, request=body, if_match=version, **by(context)
        )
        response.headers["ETag"] = f'"{_written(session, case_id).version}"'
        return queries.get_approval(session, approval_id, scope=visibility.EVERYTHING)


@router.get("/cases/{case_id}/approvals", tags=["approvals"], responses=_READ)
def list_approvals(case_id: Id, context: Staff) -> list[ApprovalOut]:
    """A case's approval requests."""
    with context.db.read() as session:
        return queries.approvals(session, case_id, scope=context.scope(session))


@router.get("/approvals/{approval_id}", tags=["approvals"], responses=_READ)
def get_approval(approval_id: Id, context: Staff) -> ApprovalOut:
    """One approval request."""
    with context.db.read() as session:
        return queries.get_approval(session, approval_id, scope=context.scope(session))


@router.post("/approvals/{approval_id}/decision", tags=["approvals"], responses=_WRITE)
def decide_approval(approval_id: Id, body: ApprovalDecisionIn, context: Supervisor) -> ApprovalOut:
    """Approve or reject a pending request: not your own, and only when your own authority
    (your own limit, else the level you staff) covers it (403 otherwise, naming who may)."""
    with context.db.write() as session:
        approvals.decide_approval(session, approval_id=approval_id, request=body, **by(context))
        return queries.get_approval(session, approval_id, scope=visibility.EVERYTHING)


@router.post("/approvals/{approval_id}/withdrawal", tags=["approvals"], responses=_WRITE)
def withdraw_approval(approval_id: Id, context: Staff) -> ApprovalOut:
    """Take back your own pending request (only the requester may)."""
    with context.db.write() as session:
        approvals.withdraw_approval(session, approval_id=approval_id, **by(context))
        return queries.get_approval(session, approval_id, scope=visibility.EVERYTHING)


@router.post("/cases/{case_id}/survey", tags=["cases"], responses=_WRITE)
def answer_survey(case_id: Id, body: SurveyIn, response: Response, context: Reader) -> CaseOut:
    """Record the customer's satisfaction answer (after resolution)."""
    return _act_on_case(updating.answer_survey, context, response, case_id, request=body)


@router.get("/cases/{case_id}/sla", tags=["cases"], responses=_READ)
def get_sla(case_id: Id, context: Staff) -> SlaOut:
    """Each SLA clock: due instant, remaining business time, paused or not."""
    with context.db.read() as session:
        return queries.sla(session, case_id, context.now(), scope=context.scope(session))


@router.get("/cases/{case_id}/audit", tags=["cases"], responses=_READ)
def get_audit(
    case_id: Id,
    context: Staff,
    after: AfterId = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AuditPage:
    """The case's audit trail, in the order it was written."""
    with context.db.read() as session:
        return queries.audit(
            session, case_id, after=after, limit=limit, scope=context.scope(session)
        )


@router.post("/cases/{case_id}/policy", tags=["cases"], responses=_WRITE)
def migrate_policy(
    case_id: Id, body: MigrateIn, response: Response, context: Admin, version: IfMatch
) -> CaseOut:
    """Move the case to another stored policy version (admins)."""
    return _act_on_case(
        policy_migration.migrate_case,
        context,
        response,
        case_id,
        policy_version_id=body.policy_version_id,
        if_match=version,
    )
