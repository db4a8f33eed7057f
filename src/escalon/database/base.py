"""The declarative base every model shares, and the column types used across domains."""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, Integer, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Constraint names Alembic can refer to on both SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")
# Instants are microseconds since the Unix epoch (UTC), the core's own unit: exact, sortable and
# the same on both databases.
Instant = BigInteger()


class Base(DeclarativeBase):
    """The base of all Escalon tables."""

    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements on the hot paths (bulk inserts and updates)."""
    return cast(Table, model.__table__)
