"""HTTP endpoints for the outbox (with its dead letters) and webhook endpoints."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from escalon import keys
from escalon.auth.access import Admin, Context, Staff, Supervisor
from escalon.cases.models import Case
from escalon.channels.models import StaffNotification
from escalon.errors import Conflict, Detail, Invalid, NotFound, error_responses, found
from escalon.notifications import targets
from escalon.notifications.models import OutboxMessage, Webhook
from escalon.notifications.schemas import (
    OutboxOut,
    OutboxStatus,
    StaffNotificationOut,
    StaffNotificationPage,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookSecretIn,
)
from escalon.outputs import from_row
from escalon.request_params import PathId

router = APIRouter(prefix="/api/v1", tags=["notifications"])


def _outbox_out(m: OutboxMessage, *, admin: bool) -> OutboxOut:
    return from_row(
        OutboxOut,
        m,
        instants=("next_attempt_at", "created_at", "delivered_at"),
        # A receiver's answer may say anything (its internals, data of others): admins only.
        last_response=m.last_response if admin else None,
    )


def _webhook_out(w: Webhook) -> WebhookOut:
    return from_row(WebhookOut, w, instants=("created_at",))


@router.get("/outbox", responses=error_responses(401, 403, 422))
def list_outbox(
    context: Supervisor,
    status_: Annotated[OutboxStatus | None, Query(alias="status")] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OutboxOut]:
    """Outbox messages by id; `status=dead` lists the dead letters."""
    with context.db.read() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
        if status_ is not None:
            query = query.where(OutboxMessage.status == status_)
        if case_id is not None:
            query = query.where(OutboxMessage.case_id == case_id)
        if after is not None:
            query = query.where(OutboxMessage.id > after)
        if (in_sight := context.scope(session).where()) is not None:
            # ESCALON_CASE_VISIBILITY: only messages of the cases the supervisor may see.
            query = query.where(OutboxMessage.case_id.in_(select(Case.id).where(in_sight)))
        admin = context.principal.role == "admin"
        return [_outbox_out(m, admin=admin) for m in session.scalars(query)]


@router.post("/outbox/{message_id}/retry", responses=error_responses(401, 403, 404, 409, 422))
def retry(message_id: PathId, context: Admin) -> OutboxOut:
    """Send a dead letter again: back to pending, attempts reset."""
    with context.db.write() as session:
        message = found(
            session.get(OutboxMessage, message_id), f"outbox message {message_id} does not exist"
        )
        if message.status != "dead":
            raise Conflict(f"outbox message {message_id} is {message.status}, not dead")
        message.status = "pending"
        message.attempts = 0
        message.next_attempt_at = context.now()
        session.flush()
        context.audit(session, "outbox.retried", f"outbox:{message.id}", {"key": message.key})
        return _outbox_out(message, admin=True)


@router.get("/webhooks", responses=error_responses(401, 403))
def list_webhooks(context: Admin) -> list[WebhookOut]:
    """Webhook endpoints."""
    with context.db.read() as session:
        return [_webhook_out(w) for w in session.scalars(select(Webhook).order_by(Webhook.name))]


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 401, 403, 409, 422),
)
def create_webhook(body: WebhookIn, context: Admin) -> WebhookCreated:
    """Add a webhook endpoint; the answer carries the signing secret, shown this once.

    Its host must be (or resolve to) public addresses only, unless ESCALON_WEBHOOK_ALLOW_PRIVATE
    is set: 422 names the address and why it is refused.
    """
    if not context.services.settings.webhook_allow_private:
        try:
            targets.public_addresses(str(body.url))
        except targets.TargetRefused as error:
            raise Invalid(f"url: {error}", [Detail(problem=str(error), field="body.url")]) from None
    with context.db.write() as session:
        if session.scalar(select(Webhook.id).where(Webhook.name == body.name)) is not None:
            raise Conflict(f"a webhook named {body.name!r} already exists")
        secret = body.secret or secrets.token_urlsafe(32)
        webhook = Webhook(
            name=body.name,
            url=str(body.url),
            secret_sealed=keys.current().seal(secret),
            format=body.format,
            active=True,
            created_at=context.now(),
            created_by=context.principal.user_id,
        )
        session.add(webhook)
        session.flush()
        context.audit(session, "webhook.created", f"webhook:{webhook.name}", {"url": webhook.url})
        return WebhookCreated(**_webhook_out(webhook).model_dump(), secret=secret)


def _webhook(session: Session, name: str) -> Webhook:
    """A webhook endpoint by name; NotFound otherwise."""
    webhook = session.scalars(select(Webhook).where(Webhook.name == name)).first()
    return found(webhook, f"no webhook is named {name!r}")


@router.post("/webhooks/{name}/secret", responses=error_responses(400, 401, 403, 404, 422))
def replace_webhook_secret(
    name: Annotated[str, Path(min_length=1, max_length=100)],
    body: WebhookSecretIn,
    context: Admin,
) -> WebhookCreated:
    """Give a webhook a new signing secret (a leaked one, or one sealed under keys that are
    gone); the answer carries it, shown this once. Deliveries from now on are signed with it."""
    with context.db.write() as session:
        webhook = _webhook(session, name)
        secret = body.secret or secrets.token_urlsafe(32)
        webhook.secret_sealed = keys.current().seal(secret)
        session.flush()
        context.audit(session, "webhook.secret_replaced", f"webhook:{webhook.name}")
        return WebhookCreated(**_webhook_out(webhook).model_dump(), secret=secret)


@router.delete("/webhooks/{name}", responses=error_responses(401, 403, 404, 422))
def deactivate_webhook(
    name: Annotated[str, Path(min_length=1, max_length=100)], context: Admin
) -> WebhookOut:
    """Stop delivering to a webhook (notifications for it go to the log)."""
    with context.db.write() as session:
        webhook = _webhook(session, name)
        if webhook.active:
            context.audit(session, "webhook.deleted", f"webhook:{webhook.name}")
        webhook.active = False
        session.flush()
        return _webhook_out(webhook)


# -- the in-app list of the caller ---------------------------------------------------------------


def _agent_of(context: Context) -> str:
    agent = context.principal.agent
    if agent is None:
        raise Conflict(
            f"user {context.principal.username!r} is not linked to an agent: "
            "in-app notifications go to agents"
        )
    return agent


def _notification_out(n: StaffNotification) -> StaffNotificationOut:
    return from_row(StaffNotificationOut, n, instants=("created_at", "read_at"))


@router.get("/me/notifications", responses=error_responses(401, 403, 409, 422))
def my_notifications(
    context: Staff,
    unread: bool = False,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="ids below this")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StaffNotificationPage:
    """The caller's notifications, newest first (unread only if asked), and the unread count."""
    agent = _agent_of(context)
    with context.db.read() as session:
        query = select(StaffNotification).where(StaffNotification.agent == agent)
        if unread:
            query = query.where(StaffNotification.read_at.is_(None))
        if before is not None:
            query = query.where(StaffNotification.id < before)
        rows = session.scalars(query.order_by(StaffNotification.id.desc()).limit(limit)).all()
        count = session.scalar(
            select(func.count())
            .select_from(StaffNotification)
            .where(StaffNotification.agent == agent, StaffNotification.read_at.is_(None))
        )
        return StaffNotificationPage(
            items=[_notification_out(row) for row in rows], unread=int(count or 0)
        )


@router.post(
    "/me/notifications/{notification_id}/read", responses=error_responses(401, 403, 404, 409, 422)
)
def read_notification(notification_id: PathId, context: Staff) -> StaffNotificationOut:
    """Mark one of the caller's notifications read."""
    agent = _agent_of(context)
    with context.db.write() as session:
        found = session.get(StaffNotification, notification_id)
        if found is None or found.agent != agent:
            raise NotFound(f"you have no notification {notification_id}")
        if found.read_at is None:
            found.read_at = context.now()
            session.flush()
        return _notification_out(found)


@router.post("/me/notifications/read", responses=error_responses(401, 403, 409))
def read_all_notifications(context: Staff) -> StaffNotificationPage:
    """Mark all of the caller's notifications read."""
    agent = _agent_of(context)
    with context.db.write() as session:
        session.execute(
            update(StaffNotification)
            .where(StaffNotification.agent == agent, StaffNotification.read_at.is_(None))
            .values(read_at=context.now())
            .execution_options(synchronize_session=False)
        )
    return StaffNotificationPage(items=[], unread=0)
