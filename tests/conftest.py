"""What every test shares: one set of keys for the whole run, given in the environment, how
property tests treat a busy machine, and the fixtures of more than one folder: a migrated
database on SQLite and PostgreSQL, a manual clock, the seeded API (`workspace`), and real SMTP,
webhook and IMAP servers on loopback, and Escalon over HTTP with Chromium to drive it.

Escalon keeps its keys outside the database (`escalon.keys`). The tests give them the way an
operator may, in `ESCALON_KEYS`, so the API, the CLI and the worker processes the tests start
all sign and seal with the same key, and no test writes a key file into the working tree.
Tests of the key file itself pass `keys=None` to their settings.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from escalon import keys
from escalon.api.app import create_app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from escalon.database.migrate import upgrade
from tests.builders.workspace import START, Workspace, empty_postgres, seed
from tests.support.browser import Server, launched_chromium, require_browser, running_server
from tests.support.dovecot import Dovecot, Mailbox, require_dovecot
from tests.support.postgres import scratch_database
from tests.support.smtp import SmtpServer, running_smtp_server
from tests.support.webhooks import Receiver, running_receiver

os.environ.setdefault("ESCALON_KEYS", keys.encode_secret(keys.new_master_key().secret))

# Property tests judge what the code does, never how fast a busy machine generates examples or
# runs one: the speed of the code is measured in bench/, where it is compared, not guessed.
settings.register_profile("escalon", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escalon")


# -- the service: a migrated database and the seeded API ----------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "escalon.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the session; tables are emptied between tests."""
    with scratch_database() as url:
        database = Database(url)
        upgrade(database)
        database.dispose()
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "escalon.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("postgres_url"), pool_size=4)
        empty_postgres(db)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test moves it."""
    return ManualClock(START)


@pytest.fixture
def workspace(
    request: pytest.FixtureRequest, database: Database, clock: ManualClock
) -> Iterator[Workspace]:
    """The API over a seeded database, driven by a manual clock.

    A test module may set `WORKSPACE_SETTINGS` (a dict) to run its API with other settings.
    """
    tokens, policy_id = seed(database, clock)
    overrides = getattr(request.module, "WORKSPACE_SETTINGS", {})
    settings = Settings(database_url=database.url, token_cache_seconds=0, **overrides)
    app = create_app(settings=settings, database=database, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Workspace(client, database, clock, tokens, policy_id)


@pytest.fixture
def teams(workspace: Workspace) -> Iterator[TestClient]:
    """The API (and dashboard) over the workspace's database, with case visibility `teams`."""
    running = cast(FastAPI, workspace.client.app)
    settings = running.state.services.settings.model_copy(update={"case_visibility": "teams"})
    app = create_app(settings=settings, database=workspace.database, clock=workspace.clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


# -- real servers on loopback -------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server in this process (its own thread and event loop) that records e-mails."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server in a thread that records every POST and answers as told."""
    with running_receiver() as found:
        yield found


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """A dovecot IMAP server on loopback for the session."""
    require_dovecot()
    server = Dovecot()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        server.remove()


@pytest.fixture
def mailbox(dovecot_server: Dovecot) -> Mailbox:
    """An empty mailbox of a fresh user on the test server."""
    return dovecot_server.add_user()


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """Escalon on a free loopback port over a seeded SQLite file, pages refreshing every 0.5 s."""
    require_browser()
    template = request.getfixturevalue("sqlite_template")
    with running_server(template, tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright."""
    require_browser()
    with launched_chromium() as browser:
        yield browser
