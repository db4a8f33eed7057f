"""Real HTTP receivers on loopback for the webhooks Escalon delivers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1; `statuses` answer requests in turn (then 200)."""

    url: str
    requests: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """An HTTP server in a thread that records every POST and answers as told."""
    found = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = found.statuses.pop(0) if found.statuses else 200
            found.requests.append(Request(self.path, dict(self.headers.items()), body))
            answer = b'{"ok": true}' if status < 300 else b"not now"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/escalon"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class KeyRecorder:
    """A real HTTP endpoint that records every delivery it gets, from many worker processes."""

    url: str
    deliveries: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        """The Idempotency-Key of every delivery received, duplicates included."""
        with self.lock:
            return [d["key"] for d in self.deliveries]


@contextmanager
def running_key_recorder() -> Iterator[KeyRecorder]:
    """A webhook receiver on loopback that answers 204 and keeps each delivery's key and id."""
    found: list[KeyRecorder] = []

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
    found.append(KeyRecorder(f"http://127.0.0.1:{server.server_port}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found[0]
    server.shutdown()
    server.server_close()
