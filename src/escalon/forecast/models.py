"""Tables of the forecast domain: fitted breach models, and the escalation-risk model's fittings
(its coefficients as JSON data and how it did on a later window) with each case's risk as scored
when it opened."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
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


class RiskModelRun(Base):
    """One fitting of the escalation-risk model on the team's history.

    `escalon risk train` or the worker (at most once a UTC day: the unique `claim_key`
    "daily:DAY" with a lease, as topic runs do). The coefficients are plain JSON, never a pickle:
    whoever holds a copy of the database must not get code to run.
    """

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # command, worker
    status: Mapped[str] = mapped_column(String(20))  # running, done, too_little, failed
    claim_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    lease_until: Mapped[int | None] = mapped_column(Instant)
    started_at: Mapped[int] = mapped_column(Instant)
    finished_at: Mapped[int | None] = mapped_column(Instant)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_risk_models_status_id", "status", "id"),)


class CaseRisk(Base):
    """A case's escalation risk as scored at intake (or when a new model re-scored the open
    cases): the probability, the signals behind it in words, and which model said so."""

    __tablename__ = "case_risks"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    model_id: Mapped[int] = mapped_column(Id)
    probability: Mapped[float] = mapped_column(Float, index=True)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scored_at: Mapped[int] = mapped_column(Instant)
