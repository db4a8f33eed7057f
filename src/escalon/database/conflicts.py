"""INSERT ... ON CONFLICT in the dialect of the session's database (PostgreSQL or SQLite), so
that domain code never asks which database it runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_with_conflicts(session: Session, model: type[Any]) -> Any:
    """An INSERT into `model`'s table that can say what a taken unique key does
    (`on_conflict_do_nothing`, `on_conflict_do_update` and `excluded` are alike in both)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def insert_ignoring_conflict(session: Session, model: type[Any]) -> Any:
    """An INSERT into `model`'s table that inserts nothing where a unique key is taken.

    On PostgreSQL a conflicting row another transaction is inserting is waited for: if it
    commits, this one inserts nothing, and a RETURNING clause returns no row.
    """
    return insert_with_conflicts(session, model).on_conflict_do_nothing()
