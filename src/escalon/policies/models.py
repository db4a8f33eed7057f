"""The table of policy versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class PolicyVersion(Base):
    """One uploaded policy file. Its text never changes; at most one version is active."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(Text)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[int] = mapped_column(Instant)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[int | None] = mapped_column(Instant)
    activated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_policy_versions_name_version"),
        # The database itself keeps "one active version".
        Index(
            "uq_policy_versions_active",
            "active",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )
