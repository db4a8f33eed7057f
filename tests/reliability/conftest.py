"""Fixtures for worker processes against real databases."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from escalon.database import Database
from escalon.database.migrate import upgrade
from tests.postgres import scratch_database


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


@dataclass
class Receiver:
    """A real HTTP endpoint that records every delivery it gets."""

    url: str
    deliveries: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        """The Idempotency-Key of every delivery received, duplicates included."""
        with self.lock:
            return [d["key"] for d in self.deliveries]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback."""
    found: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with found[0].lock:
                found[0].deliveries.append(
                    {"key": self.headers.get("Idempotency-Key", ""), "id": body.get("id", "")}
                )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.append(Receiver(f"http://127.0.0.1:{server.server_port}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found[0]
    server.shutdown()
    server.server_close()
