"""INSERT ... ON CONFLICT DO NOTHING in the dialect of the session's database (PostgreSQL or
SQLite), so that domain code never asks which database it runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflict(session: Session, model: type[Any]) -> Any:
    """An INSERT into `model`'s table that inserts nothing where a unique key is taken.

    On PostgreSQL a conflicting row another transaction is inserting is waited for: if it
    commits, this one inserts nothing, and a RETURNING clause returns no row.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()
