"""The real PostgreSQL on this machine, for tests of the scale-out mode.

Outside CI a test that needs it is skipped, saying why, when no server answers; under CI=true
it fails instead, because CI starts the server and must not pass without having used it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

SERVER = os.environ.get("ESCALON_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432")
MAINTENANCE_DB = "test"


def _admin_dsn() -> str:
    return f"{SERVER}/{MAINTENANCE_DB}"


def reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        with psycopg.connect(_admin_dsn(), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def require_server() -> None:
    """Skip (or, under CI, fail) when PostgreSQL cannot be reached."""
    problem = reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {SERVER} is not reachable: {problem}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)")
    pytest.skip(message)


@contextmanager
def scratch_database(prefix: str = "escalon_test") -> Iterator[str]:
    """A new, empty database for the length of the block; yields its SQLAlchemy URL."""
    require_server()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{SERVER.removeprefix('postgresql://')}/{name}"
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
