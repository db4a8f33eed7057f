"""Statements whose SQL differs between PostgreSQL and SQLite, so that domains need not ask."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# The channel listening workers wait on (`escalon.worker.runner`) for a timer due sooner.
NOTIFY_CHANNEL = "escalon_timers"


def insert_ignoring_conflict(session: Session, model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the session's database.

    On PostgreSQL a conflicting row another transaction is inserting is waited for: if it
    commits, this insert writes nothing (and RETURNING gives no row), so the caller learns it
    lost the race.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model).on_conflict_do_nothing()


def wake_workers(session: Session) -> None:
    """Tell listening workers (PostgreSQL) that a timer may now be due sooner; the message
    leaves with the transaction's commit. SQLite has no listeners: workers poll."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
