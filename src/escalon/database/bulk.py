"""Writing many rows in one statement: the worker's hot path.

On PostgreSQL, each column travels as one array parameter and `unnest` turns the arrays back into
rows, so ten thousand rows cost one round trip and no per-row statement. SQLite runs in-process,
where a plain `executemany` is already cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, Table, bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.type_api import TypeEngine

# Up to this many rows go as plain VALUES; more travel as one array per column.
FEW_ROWS = 16


@contextmanager
def pipeline(session: Session) -> Iterator[None]:
    """Send the statements of the block without waiting for each answer (PostgreSQL), so many
    inserts cost one round trip; errors surface when the block ends."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    driver = session.connection().connection.driver_connection
    with driver.pipeline():  # type: ignore[union-attr]
        yield


def _array_type(column_type: TypeEngine[Any]) -> str:
    """The PostgreSQL array type a column's values travel in (JSON goes as text)."""
    if isinstance(column_type, BigInteger):
        return "bigint"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Float):
        return "float8"
    return "text"


def _column_values(table: Table, name: str, rows: Sequence[dict[str, Any]]) -> list[Any]:
    values = [row.get(name) for row in rows]
    if isinstance(table.c[name].type, JSON):
        return [None if value is None else to_json(value).decode() for value in values]
    return values


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all rows give the same columns)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    if len(rows) <= FEW_ROWS:
        _insert_few(session, table, names, rows)
        return
    arrays = ", ".join(f"%b::{_array_type(table.c[name].type)}[]" for name in names)
    selected = ", ".join(
        f'u."{name}"::json' if isinstance(table.c[name].type, JSON) else f'u."{name}"'
        for name in names
    )
    quoted = ", ".join(f'"{name}"' for name in names)
    statement = (
        f'INSERT INTO "{table.name}" ({quoted}) '
        f"SELECT {selected} FROM unnest({arrays}) AS u({quoted})"
    )
    _execute_binary(session, statement, tuple(_column_values(table, name, rows) for name in names))


def _insert_few(
    session: Session, table: Table, names: list[str], rows: Sequence[dict[str, Any]]
) -> None:
    """A handful of rows: plain VALUES, parameters dumped one by one (cheaper than arrays)."""
    statement, json_columns = _values_statement(table, tuple(names))
    values = [
        tuple(
            (None if row.get(name) is None else to_json(row[name]).decode())
            if name in json_columns
            else row.get(name)
            for name in names
        )
        for row in rows
    ]
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        if len(values) == 1:
            cursor.execute(statement, values[0])
        else:
            cursor.executemany(statement, values)


@lru_cache(maxsize=256)
def _values_statement(table: Table, names: tuple[str, ...]) -> tuple[str, frozenset[str]]:
    json_columns = frozenset(name for name in names if isinstance(table.c[name].type, JSON))
    placeholders = ", ".join("%s::json" if name in json_columns else "%s" for name in names)
    quoted = ", ".join(f'"{name}"' for name in names)
    return f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})', json_columns


def update_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, guard: str
) -> int:
    """UPDATE rows by `id` where column `guard` still equals the row's `expected_<guard>`, and
    move `guard` on by one. Returns how many rows matched."""
    if not rows:
        return 0
    expected = f"expected_{guard}"
    names = [name for name in rows[0] if name not in ("id", expected)]
    if session.get_bind().dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c[guard] == bindparam(expected))
            .values({guard: table.c[guard] + 1, **{name: bindparam(name) for name in names}})
        )
        by_row = [{**row, "row_id": row["id"]} for row in rows]
        for row in by_row:
            del row["id"]
        result = session.execute(statement, by_row)
        return int(result.rowcount)  # type: ignore[attr-defined]
    columns = ["id", expected, *names]
    types = {"id": "bigint", expected: _array_type(table.c[guard].type)}
    arrays = ", ".join(
        f"%b::{types.get(name) or _array_type(table.c[name].type)}[]" for name in columns
    )
    assignments = ", ".join(
        f'"{name}" = u."{name}"::json'
        if isinstance(table.c[name].type, JSON)
        else f'"{name}" = u."{name}"'
        for name in names
    )
    quoted = ", ".join(f'"{name}"' for name in columns)
    sql = (
        f'UPDATE "{table.name}" AS t SET {assignments}, "{guard}" = t."{guard}" + 1 '
        f"FROM unnest({arrays}) AS u({quoted}) "
        f'WHERE t.id = u.id AND t."{guard}" = u."{expected}"'
    )
    params = tuple(
        [row[name] for row in rows]
        if name in ("id", expected)
        else _column_values(table, name, rows)
        for name in columns
    )
    return _execute_binary(session, sql, params)


def _execute_binary(session: Session, statement: str, params: tuple[list[Any], ...]) -> int:
    """Run a statement on the session's own connection, parameters in binary (arrays of
    strings need no escaping that way); returns the row count."""
    driver = session.connection().connection.driver_connection
    with driver.cursor(binary=True) as cursor:  # type: ignore[union-attr]
        cursor.execute(statement, params)
        return int(cursor.rowcount)
