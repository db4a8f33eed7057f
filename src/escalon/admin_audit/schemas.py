"""What the API reads of the admin audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AdminAuditOut(BaseModel):
    """One administrative change."""

    id: int
    at: datetime
    actor: str
    via: str
    action: str
    target: str
    data: dict[str, Any] | None


class AdminAuditPage(BaseModel):
    """Entries newest first; `next_before` asks for the page after this one."""

    entries: list[AdminAuditOut]
    next_before: int | None
