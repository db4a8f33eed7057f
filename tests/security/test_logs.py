"""Logs hold one line per record and no secrets.

The attack: a customer writes "\\n2026-12-06 INFO escalon.api: admin signed in" into the contact
form; with no mail relay the acknowledgement went to the log whole, so that line appeared in the
log as if Escalon had written it, next to the customer's status link (which opens their case to
whoever reads the log) and their own words. Now the log transport writes a summary, and every
record passes a filter that escapes control characters, indents tracebacks and redacts tokens
and links, in Escalon's own loggers and in uvicorn's.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from escalon import logs
from escalon.config import Settings
from escalon.notifications.delivery import deliver_due
from tests.builders.workspace import Workspace
from tests.support.network import free_port

FORGED = "2026-12-06 INFO escalon.api: admin signed in"
RECORD = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} [A-Z]+ [\w.]+: ")
CONTINUATION = "    | "


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """Escalon's logging configured into a buffer; the previous configuration back afterwards."""
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    buffer = io.StringIO()
    logs.configure("INFO", stream=buffer)
    yield buffer
    for handler in root.handlers[:]:
        if handler not in saved[1]:
            root.removeHandler(handler)
    for handler in saved[1]:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(saved[0])


def assert_one_line_per_record(text: str) -> None:
    for line in text.splitlines():
        assert RECORD.match(line) or line.startswith(CONTINUATION), line
    assert not re.search(r"^" + re.escape(FORGED), text, flags=re.M)


def contact(workspace: Workspace, subject: str, message: str) -> int:
    response = workspace.client.post(
        "/api/v1/forms/contact",
        json={
            "name": "Mallory",
            "email": "mallory@example.org",
            "subject": subject,
            "message": message,
        },
    )
    assert response.status_code == 202, response.text
    return int(response.json()["case_id"])


def test_a_customer_cannot_forge_a_log_line(workspace: Workspace, written: io.StringIO) -> None:
    contact(workspace, f"Refund\n{FORGED}", f"Hello\n{FORGED}\nbye")
    settings = Settings(database_url=workspace.database.url, smtp_host=None)
    report = deliver_due(workspace.database, clock=workspace.clock, settings=settings)
    assert report.delivered >= 1

    text = written.getvalue()
    assert "mallory@example.org" in text  # the acknowledgement was logged...
    assert_one_line_per_record(text)  # ...and nothing in it starts a line of its own
    assert "admin signed in" in text  # the text is there, inside the notification's record


def test_the_log_transport_writes_a_summary_without_link_or_customer_words(
    workspace: Workspace, written: io.StringIO
) -> None:
    case_id = contact(
        workspace, "My parcel", "The parcel never came, my neighbour Alice saw nothing"
    )
    settings = Settings(database_url=workspace.database.url, smtp_host=None)
    deliver_due(workspace.database, clock=workspace.clock, settings=settings)

    line = next(line for line in written.getvalue().splitlines() if "notification" in line)
    assert "mallory@example.org" in line
    assert f"[#{case_id}] My parcel" in line
    assert "/status/" not in written.getvalue()
    assert "neighbour Alice" not in written.getvalue()
    assert "we have received your request" not in written.getvalue()


@pytest.mark.parametrize(
    ("said", "hidden"),
    [
        ("token esc_4hVq3Zx_9kLmN0pQrStUvWxYz1234567890abcdEF", "4hVq3Zx"),
        ("https://help.example.org/status/eyJjYXNlIjo3fQ.ZXhwaXJlcw.c2lnbmF0dXJl", "eyJjYXNl"),
        ("/survey/eyJjYXNlIjo3fQ.ZXhwaXJlcw.c2lnbmF0dXJl?x=1", "eyJjYXNl"),
        ("Cookie: escalon_session=Zm9vYmFyYmF6cXV4; other=1", "Zm9vYmFy"),
        ("Authorization: Bearer s3cr3t-scrape-token", "s3cr3t"),
    ],
)
def test_tokens_and_links_are_redacted_in_messages_and_tracebacks(
    written: io.StringIO, said: str, hidden: str
) -> None:
    log = logging.getLogger("escalon.test")
    log.warning("the client said %s", said)
    try:
        raise ValueError(f"could not read {said}")
    except ValueError:
        log.exception("failed")
    text = written.getvalue()
    assert hidden not in text
    assert "[redacted]" in text
    assert_one_line_per_record(text)


def test_a_traceback_quoting_a_customer_cannot_forge_a_line(written: io.StringIO) -> None:
    try:
        raise RuntimeError(f"bad subject: Refund\n{FORGED}\r\n{FORGED}")
    except RuntimeError:
        logging.getLogger("escalon.api").exception("unexpected error while serving a request")
    text = written.getvalue()
    assert "Traceback" in text
    assert_one_line_per_record(text)


def test_other_control_characters_and_line_separators_are_escaped(written: io.StringIO) -> None:
    logging.getLogger("escalon.test").info("a\x1b[2Jb\u2028c\x85d\x00e")
    line = written.getvalue().rstrip("\n")
    assert "\n" not in line
    assert line.endswith("a\\x1b[2Jb\\u2028c\\x85d\\x00e")


def test_uvicorns_error_log_is_cleaned_and_its_access_log_is_off(written: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request: %s", f"x\n{FORGED}")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /status/eyJsecret HTTP/1.1" 200')
    text = written.getvalue()
    assert "uvicorn.error: Invalid HTTP request: x\\n2026" in text
    assert "eyJsecret" not in text
    assert_one_line_per_record(text)


def test_a_running_server_writes_one_line_per_record_and_no_link(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "escalon.db"
    path.write_bytes(sqlite_template.read_bytes())
    database_url = f"sqlite:///{path}"
    from escalon.clock import ManualClock
    from escalon.database import Database
    from tests.builders.workspace import START, seed

    seeded = Database(database_url)
    seed(seeded, ManualClock(START))
    seeded.dispose()
    port = free_port()
    output = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "escalon", "serve", "--port", str(port)],
        env={**os.environ, "ESCALON_DATABASE_URL": database_url, "ESCALON_LOG_LEVEL": "INFO"},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        sent = httpx.post(
            f"{base}/api/v1/forms/contact",
            json={
                "name": "Mallory",
                "email": "mallory@example.org",
                "subject": f"Refund\n{FORGED}",
                "message": f"Hello\n{FORGED}",
            },
            timeout=10,
        )
        assert sent.status_code == 202, sent.text
        httpx.get(f"{base}/api/v1/cases", headers={"Authorization": "Bearer esc_guessing1234"})
        log_path = tmp_path / "serve.log"
        for _ in range(150):  # the embedded worker delivers the acknowledgement to the log
            if "mallory@example.org" in log_path.read_text():
                break
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        output.close()
    text = (tmp_path / "serve.log").read_text()
    assert "mallory@example.org" in text
    assert "uvicorn.error: Started server process" in text  # uvicorn's lines, our format
    assert_one_line_per_record(text)
    assert "/status/" not in text
    assert "esc_guessing" not in text
