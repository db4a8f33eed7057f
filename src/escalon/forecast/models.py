"""Tables of the forecast domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class ForecastModel(Base):
    """A fitted forecast model: only numbers (JSON), never code, so a copied database cannot
    run anything; the newest of a kind is the one in use."""

    __tablename__ = "forecast_models"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # breach
    created_at: Mapped[int] = mapped_column(Instant)
    source: Mapped[str] = mapped_column(String(20))  # command, worker
    looks: Mapped[int] = mapped_column(Integer)  # the labelled looks it was fitted on
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "daily:DAY" for the worker's model of a day: stored once, however many workers fit it.
    claim_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    __table_args__ = (Index("ix_forecast_models_kind_id", "kind", "id"),)
