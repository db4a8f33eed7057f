"""HTTP endpoint of the admin audit trail (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from escalon.admin_audit import service
from escalon.admin_audit.models import AdminAuditEntry
from escalon.admin_audit.schemas import AdminAuditOut, AdminAuditPage
from escalon.auth.access import Admin
from escalon.errors import error_responses
from escalon.outputs import from_row

router = APIRouter(prefix="/api/v1/admin", tags=["access"])


def entry_out(entry: AdminAuditEntry) -> AdminAuditOut:
    """An entry as the API shows it."""
    return from_row(AdminAuditOut, entry, instants=("at",))


@router.get("/audit", responses=error_responses(401, 403, 422))
def admin_audit(
    context: Admin,
    subject: Annotated[str | None, Query(max_length=50, description="e.g. user, token")] = None,
    action: Annotated[str | None, Query(max_length=100, description="e.g. user.disabled")] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="ids below this")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AdminAuditPage:
    """Administrative changes, newest first: users, tokens, policies, webhooks, the roster,
    settings, outbox retries."""
    with context.db.read() as session:
        rows = service.entries(
            session, subject=subject, action=action, actor=actor, before=before, limit=limit
        )
        out = [entry_out(row) for row in rows]
    return AdminAuditPage(entries=out, next_before=out[-1].id if len(out) == limit else None)
