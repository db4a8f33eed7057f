"""No real customer, and nobody else, ever receives anything from a practice session: the
sandbox's customer lives at a domain that cannot receive mail, its staff have no addresses,
every message it queues is captured, and no customer link is signed in it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from escalon.notifications.delivery import deliver_due
from tests.builders.training import (
    act,
    add_scenario,
    finish,
    practice_page,
    signed_in_client,
    training_app,
)
from tests.builders.training import start as start_practice
from tests.builders.workspace import Workspace
from tests.support.smtp import SmtpServer


def test_a_whole_practice_session_delivers_nothing_to_anyone(
    workspace: Workspace, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    slug = add_scenario(workspace)
    mail: dict[str, Any] = {"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    with training_app(workspace, tmp_path, public_url="http://help.example.org", **mail) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start_practice(ana, slug)
        act(ana, key, case_id, "messages", body="Sorry! I will check today.", public="true")
        workspace.clock.advance(seconds=30)
        practice_page(ana, key, case_id)
        act(ana, key, case_id, "escalate", target="level:supervisor", reason="Manager asked")
        workspace.clock.advance(hours=2)  # breaches fire, notices go out to the levels
        practice_page(ana, key, case_id)
        act(ana, key, case_id, "messages", body="A supervisor will call you.", public="true")
        assert finish(ana, key).status_code == 303

    installation = Settings(database_url=workspace.database.url, **mail)
    deliver_due(workspace.database, clock=workspace.clock, settings=installation)
    # Even a delivery loop pointed at the sandbox itself finds nothing to send.
    sandbox_file = tmp_path / f"{key}.sqlite3"
    sandbox = Database(f"sqlite:///{sandbox_file}")
    try:
        report = deliver_due(
            sandbox,
            clock=ManualClock(workspace.clock.now_us() + 86_400_000_000),
            settings=Settings(database_url=sandbox.url, **mail),
        )
    finally:
        sandbox.dispose()
    assert smtp_server.recorder.received == []
    assert report.claimed == 0

    with sqlite3.connect(sandbox_file) as db:
        rows = db.execute("select status, address, body, payload from outbox").fetchall()
        emails = [found[0] for found in db.execute("select email from agents")]
    assert rows, "the session queued messages (acknowledgement, replies, notices)"
    assert {status for status, *_ in rows} == {"captured"}
    for _status, address, body, payload in rows:
        assert "@" not in address or address.endswith("@training.invalid"), address
        text = body + json.dumps(json.loads(payload) if payload else {})
        assert "/status/" not in text
        assert "/survey/" not in text
    assert emails
    assert all(found is None for found in emails)
