"""Engines and sessions for SQLite (one machine) and PostgreSQL (any number of processes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Execution option that marks a transaction as one that will write (SQLite: BEGIN IMMEDIATE).
WRITE = "escalon_write"


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` for PostgreSQL; Escalon drives it with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """One database: its engine and the two kinds of transaction the service uses."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.is_postgresql = parsed.get_backend_name() == "postgresql"
        if not (self.is_sqlite or self.is_postgresql):
            raise ValueError(
                f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///FILE "
                "or postgresql+psycopg://..."
            )
        self.engine = (
            _sqlite_engine(self.url, echo)
            if self.is_sqlite
            else _pg_engine(self.url, pool_size, echo)
        )
        # What every session of this database carries into the domains (`Session.info`): the
        # process's settings they read per transaction, set by the composition root. A new
        # session copies it, so entries set later reach the sessions opened after.
        self.info: dict[str, Any] = {}
        self._read = sessionmaker(self.engine, expire_on_commit=False, info=self.info)
        self._write = sessionmaker(
            self.engine.execution_options(**{WRITE: True}), expire_on_commit=False, info=self.info
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction that only reads (it is rolled back at the end)."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that writes: committed when the block ends, rolled back on an error.

        On SQLite it starts with BEGIN IMMEDIATE, so writers queue up front instead of failing
        half-way with "database is locked".
        """
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection (before a fork, or at shutdown)."""
        self.engine.dispose()


def _pg_engine(url: str, pool_size: int, echo: bool) -> Engine:
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping before each use (a round trip per request): after a server restart the first
        # statement on a stale connection fails, the pool is emptied, and the request gets 503
        # or the worker retries.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below open transactions, instead of the driver's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writing = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine
