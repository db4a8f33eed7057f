"""The table of the admin audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class AdminAuditEntry(Base):
    """One administrative change. Rows are never updated or deleted (database triggers refuse
    it), so the trail survives whoever made the change."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[int] = mapped_column(Instant)
    # Who: the user's name (or "operator" for the command line on the server itself).
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Through what: api, ui, cli.
    via: Mapped[str] = mapped_column(String(20))
    # What: "user.created", "token.revoked", "policy.activated"... (ACTIONS in the service).
    action: Mapped[str] = mapped_column(String(100))
    # On what: "user:ana", "token:12", "policy:3", "webhook:ops"...
    target: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_admin_audit_action_id", "action", "id"),)
