"""Fixtures for worker processes against real databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from escalon.database import Database
from escalon.database.migrate import upgrade
from tests.support.postgres import scratch_database
from tests.support.webhooks import KeyRecorder, running_key_recorder


@pytest.fixture
def postgresql_database() -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database of its own."""
    with scratch_database("escalon_reliability") as url:
        database = Database(url, pool_size=4)
        upgrade(database)
        yield database
        database.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite file."""
    database = Database(f"sqlite:///{tmp_path / 'escalon.db'}")
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def key_recorder() -> Iterator[KeyRecorder]:
    """A webhook receiver on loopback that keeps the key of every delivery."""
    with running_key_recorder() as recorder:
        yield recorder
