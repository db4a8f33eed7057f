"""The service's command line: schema, users and tokens, the demo, and `serve` as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.config import get_settings
from tests.support.network import free_port

runner = CliRunner()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SQLite file named by ESCALON_DATABASE_URL, as an operator would set it."""
    url = f"sqlite:///{tmp_path / 'escalon.db'}"
    monkeypatch.setenv("ESCALON_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_commands_refuse_a_database_without_the_schema(database_url: str) -> None:
    result = runner.invoke(app, ["users", "create", "ann", "--role", "admin"])
    assert result.exit_code == 1
    assert "run `escalon db upgrade` first" in result.output


def test_upgrade_then_users_and_tokens(database_url: str) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded from empty to revision" in upgraded.output
    again = runner.invoke(app, ["db", "upgrade"])
    assert "already at revision" in again.output
    created = runner.invoke(app, ["users", "create", "ann", "--role", "admin"])
    assert created.exit_code == 0
    assert "user ann (admin) created" in created.output
    duplicate = runner.invoke(app, ["users", "create", "ann", "--role", "admin"])
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    wrong_role = runner.invoke(app, ["users", "create", "bob", "--role", "boss"])
    assert wrong_role.exit_code == 1
    assert "unknown role 'boss'" in wrong_role.output
    token = runner.invoke(app, ["tokens", "create", "ann"])
    assert token.exit_code == 0
    assert token.output.strip().startswith("esc_")
    assert runner.invoke(app, ["tokens", "create", "nobody"]).exit_code == 1


@pytest.fixture(autouse=True)
def own_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` and `demo` write the address they serve at into the environment (their server
    processes read it there): each test's change is undone after it. Set before it is removed,
    so that monkeypatch remembers the variable was absent and removes what `serve` wrote; a
    `delenv` of an absent variable alone remembers nothing, and the address leaked into the
    next test of the same process."""
    monkeypatch.setenv("ESCALON_PUBLIC_URL", "")
    monkeypatch.delenv("ESCALON_PUBLIC_URL")


def test_the_demo_seeds_once_and_mints_tokens_each_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--database", url, "--seed-only"])
    assert first.exit_code == 0, first.output
    assert "23 cases (just seeded)" in first.output  # 14 of them last month's refunds
    second = runner.invoke(app, ["demo", "--database", url, "--seed-only"])
    assert "27 cases" in second.output  # the four timed cases are opened again
    assert "This start opened 4 cases that escalate within minutes" in second.output
    assert "just seeded" not in second.output
    assert _tokens(first.output)
    assert len(_tokens(second.output)) == 4  # admin, supervisor, agent, manager
    assert not set(_tokens(first.output)) & set(_tokens(second.output))
    get_settings.cache_clear()


def _tokens(output: str) -> list[str]:
    return [word for word in output.split() if word.startswith("esc_")][:4]


def test_serve_answers_and_stops_cleanly_on_sigterm(database_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["users", "create", "ann", "--role", "admin"]).exit_code == 0
    token = runner.invoke(app, ["tokens", "create", "ann"]).output.strip()
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "escalon", "serve", "--port", str(port)],
        env={**os.environ, "ESCALON_DATABASE_URL": database_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"username": "ann", "role": "admin", "agent": None}
        assert httpx.get(f"{base}/api/v1/me").status_code == 401
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "Escalon"
        front = httpx.get(f"{base}/", follow_redirects=False)
        assert (front.status_code, front.headers["location"]) == (303, "/ui/sign-in")
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(30)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    # uvicorn finishes its shutdown, then lets the signal end the process, as services expect.
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "embedded worker started" in output
    assert "embedded worker stopped" in output
    # The banner says where the dashboard is, and the customers' links follow --port.
    assert f"escalon.serve: dashboard: {base}/ui/sign-in" in output
    assert f"escalon.serve: customers' links: {base} " in output


def test_the_public_address_follows_host_and_port_unless_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    shown = runner.invoke(
        app, ["demo", "--database", url, "--seed-only", "--host", "::1", "--port", "8123"]
    )
    assert shown.exit_code == 0, shown.output
    assert "dashboard:          http://[::1]:8123/ui/sign-in" in shown.output
    assert "customers' links:   http://[::1]:8123 " in shown.output
    monkeypatch.setenv("ESCALON_PUBLIC_URL", "https://help.example.com")
    get_settings.cache_clear()
    shown = runner.invoke(app, ["demo", "--database", url, "--seed-only", "--port", "8124"])
    assert "customers' links:   https://help.example.com " in shown.output
    get_settings.cache_clear()


def test_the_server_that_serve_starts_puts_its_own_address_in_customers_links(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """`serve` runs the app in this process (one worker): the app must not keep the settings
    read before the address was known, or a reply's status link points at the default port."""
    import uvicorn

    from escalon.api.main import app_from_environment
    from escalon.notifications.outbox import CustomerMessages

    get_settings.cache_clear()
    monkeypatch.setenv("ESCALON_DATABASE_URL", database_url)
    get_settings()  # read before serve, as `demo` does
    built: list[Any] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda *args, **kwargs: built.append(app_from_environment())
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    served = runner.invoke(app, ["serve", "--port", "8131", "--no-embedded-worker"])
    assert served.exit_code == 0, served.output
    assert built
    assert get_settings().public_url == "http://127.0.0.1:8131"
    services = built[0].state.services
    assert CustomerMessages.of_info(services.database.info).public_url == "http://127.0.0.1:8131"
    get_settings.cache_clear()
