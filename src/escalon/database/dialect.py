"""Statements whose SQL differs between PostgreSQL and SQLite, so that domains need not ask."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# The channel listening workers wait on (`escalon.worker.runner`) for a timer due sooner.
NOTIFY_CHANNEL = "escalon_timers"


def insert_with_conflicts(session: Session, model: type[Any]) -> Any:
    """An INSERT into `model`'s table that can say what a taken unique key does
    (`on_conflict_do_nothing`, `on_conflict_do_update` and `excluded` are alike in both)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def insert_ignoring_conflict(session: Session, model: type[Any]) -> Any:
    """An INSERT into `model`'s table that inserts nothing where a unique key is taken.

    On PostgreSQL a conflicting row another transaction is inserting is waited for: if it
    commits, this insert writes nothing (and RETURNING gives no row), so the caller learns it
    lost the race.
    """
    return insert_with_conflicts(session, model).on_conflict_do_nothing()


def wake_workers(session: Session) -> None:
    """Tell listening workers (PostgreSQL) that a timer may now be due sooner; the message
    leaves with the transaction's commit. SQLite has no listeners: workers poll."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
