"""Writing and reading the admin audit trail. Services call `record` inside the transaction that
makes the change, so an entry exists exactly when the change does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from escalon.admin_audit.models import AdminAuditEntry
from escalon.database.base import table_of
from escalon.errors import Invalid

if TYPE_CHECKING:
    from escalon.auth.service import Principal

# Every action the trail knows, by subject. A new kind of administrative change adds its name
# here, so the reader's filter and the docs list stay whole.
ACTIONS = frozenset(
    {
        "user.created",
        "user.updated",
        "user.disabled",
        "user.enabled",
        "user.review_mail",
        "token.created",
        "token.revoked",
        "session.ended",
        "policy.uploaded",
        "policy.activated",
        "webhook.created",
        "webhook.deleted",
        "webhook.secret_replaced",
        "roster.imported",
        "team.created",
        "team.updated",
        "agent.created",
        "agent.updated",
        "rotation.set",
        "rotation.cleared",
        "customer.updated",
        "customer.organisation",
        "organisation.created",
        "organisation.updated",
        "organisation.deleted",
        "setting.changed",
        "outbox.retried",
        "inbound_email.retried",
        "inbound_email.dismissed",
        "keys.rotated",
        "keys.retired",
        "backup.made",
        "backup.restored",
        "article.created",
        "article.updated",
        "article.archived",
        "article.imported",
    }
)
SUBJECTS = frozenset(action.split(".", 1)[0] for action in ACTIONS)
VIAS = ("api", "ui", "cli")


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    at: int,
    via: str = "api",
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the trail, in the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown admin audit action {action!r}")
    if via not in VIAS:
        raise ValueError(f"unknown admin audit channel {via!r}")
    session.execute(
        insert(table_of(AdminAuditEntry)),
        {
            "at": at,
            "actor": actor[:200],
            "actor_user_id": user_id,
            "via": via,
            "action": action,
            "target": target[:300],
            "data": data or None,
        },
    )


def record_by(
    session: Session,
    principal: Principal,
    *,
    via: str,
    action: str,
    target: str,
    at: int,
    data: dict[str, Any] | None = None,
) -> None:
    """Add one entry for a change a signed-in user made: named by username, with their id."""
    name, user = principal.username, principal.user_id
    record(
        session, actor=name, user_id=user, via=via, action=action, target=target, at=at, data=data
    )


def entries(
    session: Session,
    *,
    subject: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AdminAuditEntry]:
    """Entries newest first: of one subject ("user") or action ("user.disabled"), by one actor,
    with ids below `before` (the next page)."""
    query = select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc()).limit(limit)
    if action is not None:
        if action not in ACTIONS:
            raise Invalid(f"unknown action {action!r} (known: {', '.join(sorted(ACTIONS))})")
        query = query.where(AdminAuditEntry.action == action)
    if subject is not None:
        if subject not in SUBJECTS:
            raise Invalid(f"unknown subject {subject!r} (known: {', '.join(sorted(SUBJECTS))})")
        query = query.where(AdminAuditEntry.action.startswith(f"{subject}.", autoescape=True))
    if actor is not None:
        query = query.where(AdminAuditEntry.actor == actor)
    if before is not None:
        query = query.where(AdminAuditEntry.id < before)
    return list(session.scalars(query))
