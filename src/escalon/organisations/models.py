"""Tables of customer organisations and the e-mail domains that are theirs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from escalon.database.base import Base, Id, Instant


class Organisation(Base):
    """A company whose people write to support: its tier, time zone and business calendar."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    tier: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    # A policy calendar's `hours` ("always" or weekday intervals) and `holidays` (ISO dates).
    hours: Mapped[Any] = mapped_column(JSON)
    holidays: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[int] = mapped_column(Instant)
    updated_at: Mapped[int] = mapped_column(Instant)
    domains: Mapped[list[OrganisationDomain]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="OrganisationDomain.domain",
        lazy="selectin",
    )


class OrganisationDomain(Base):
    """An e-mail domain whose customers belong to an organisation (one organisation each)."""

    __tablename__ = "organisation_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    organisation: Mapped[Organisation] = relationship(back_populates="domains")
