"""A real Escalon server on loopback, and Debian's Chromium driven by Playwright.

The server runs in a thread of the test process with a manual clock, so a test moves time and
runs the worker's tick itself; the browser talks to it over real HTTP. Screenshots go to
`artifacts/screenshots/` (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from escalon.api.app import create_app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from tests.builders.paths import REPO
from tests.builders.workspace import START, seed
from tests.support.network import free_port

CHROMIUM = os.environ.get("ESCALON_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = REPO / "artifacts" / "screenshots"


def require_browser() -> None:
    """Skip (or, under CI, fail) when Chromium or Playwright is missing."""
    problem = None
    if not os.path.exists(CHROMIUM):
        problem = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "Playwright is not installed (pip install -e '.[dev]')"
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI=true: the browser tests must run)")
    pytest.skip(problem)


@dataclass
class Server:
    """A running Escalon over HTTP, its database, clock and users' tokens."""

    url: str
    database: Database
    clock: ManualClock
    tokens: dict[str, str]


@contextmanager
def running_server(template: Path, folder: Path) -> Iterator[Server]:
    """Escalon on a free loopback port over a seeded copy of the migrated SQLite `template`
    (kept in `folder`), pages refreshing every 0.5 s."""
    path = folder / "escalon.db"
    shutil.copy(template, path)
    database = Database(f"sqlite:///{path}")
    clock = ManualClock(START)
    tokens, _policy = seed(database, clock)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=database.url,
        token_cache_seconds=0,
        dashboard_refresh_seconds=0.5,
        public_url=url,
    )
    app = create_app(settings=settings, database=database, clock=clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Server(url, database, clock, tokens)
    finally:
        running.should_exit = True
        thread.join(timeout=30)
        database.dispose()


@contextmanager
def launched_chromium() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import expect, sync_playwright

    # Generous: on a loaded CI machine a page refresh can take a few seconds to come round.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()
