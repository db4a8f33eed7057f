"""Operations: liveness, readiness and metrics, and who may read the business volumes.

`/healthz` answers while the database is away (a restart would not bring it back); `/readyz`
says 503 when the database is unreachable or its schema is not this release's head; `/metrics`
reads the database's counts at each scrape (two API processes agree) and the firing lag of the
timers, and only the metrics token or an admin's token reads it: business volumes are not for
agents, integrations or strangers.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from escalon.api.app import create_app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from escalon.database.migrate import head_revision
from escalon.worker.runner import Worker
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace
from tests.support.network import free_port

METRICS_TOKEN = "scrape-" + "x" * 24


def app_over(database: Database, clock: ManualClock, **settings: object) -> FastAPI:
    return create_app(
        settings=Settings(database_url=database.url, token_cache_seconds=0, **settings),  # type: ignore[arg-type]
        database=database,
        clock=clock,
    )


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text exposition (0 when it is absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + r"$", exposition, flags=re.M)
    return float(found.group(1)) if found else 0.0


def scrape(client: TestClient, token: str = METRICS_TOKEN) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return str(response.text)


@pytest.fixture
def gone(database: Database, tmp_path: Path) -> Iterator[Database]:
    """A database of the same kind that cannot be reached."""
    if database.is_sqlite:
        # A folder where the file should be: SQLite cannot open it.
        (tmp_path / "gone.db").mkdir()
        url = f"sqlite:///{tmp_path / 'gone.db'}"
    else:
        url = database.url.rsplit("/", 1)[0] + "/escalon_no_such_database"
    db = Database(url)
    yield db
    db.dispose()


# -- health and readiness ----------------------------------------------------------------------


def test_healthz_answers_while_the_database_is_gone(gone: Database, clock: ManualClock) -> None:
    with TestClient(app_over(gone, clock), raise_server_exceptions=False) as client:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "down"
        assert ready.headers["retry-after"] == "5"


def test_readyz_is_ok_when_the_schema_is_at_head(workspace: Workspace) -> None:
    response = workspace.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["schema"] == head_revision()


def test_readyz_fails_while_the_schema_is_behind(workspace: Workspace) -> None:
    with workspace.database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        response = workspace.client.get("/readyz")
        assert response.status_code == 503
        assert "at revision 0001" in response.json()["schema"]
        assert "escalon db upgrade" in response.json()["schema"]
        assert workspace.client.get("/healthz").status_code == 200
    finally:
        with workspace.database.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )


def test_readyz_fails_on_an_empty_database(tmp_path: Path, clock: ManualClock) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(app_over(empty, clock), raise_server_exceptions=False) as client:
        response = client.get("/readyz")
    empty.dispose()
    assert response.status_code == 503
    assert response.json()["schema"].startswith("empty")


# -- who reads the metrics ---------------------------------------------------------------------


@pytest.fixture
def scraped(database: Database, clock: ManualClock, workspace: Workspace) -> Iterator[TestClient]:
    """A second API process over the workspace's database, with a metrics token."""
    with TestClient(
        app_over(database, clock, metrics_token=METRICS_TOKEN), raise_server_exceptions=False
    ) as client:
        yield client


def test_metrics_need_the_metrics_token_or_an_admin(
    workspace: Workspace, scraped: TestClient
) -> None:
    assert scraped.get("/metrics").status_code == 401
    wrong = scraped.get("/metrics", headers={"Authorization": "Bearer " + "y" * 31})
    assert wrong.status_code == 401
    for role in ("supervisor", "agent", "integration"):
        response = scraped.get("/metrics", headers=workspace.headers(role))
        assert response.status_code == 403, role
        assert "escalon_cases" not in response.text
    assert "escalon_cases" in scrape(scraped, workspace.tokens["admin"])
    assert "escalon_cases" in scrape(scraped)


def test_without_a_metrics_token_only_admins_read_the_metrics(workspace: Workspace) -> None:
    client = workspace.client
    token_like = client.get("/metrics", headers={"Authorization": "Bearer " + "z" * 31})
    assert token_like.status_code == 401
    assert client.get("/metrics", headers=workspace.headers("agent")).status_code == 403
    assert "escalon_cases" in scrape(client, workspace.tokens["admin"])


def test_the_metrics_token_reads_the_metrics_while_the_database_is_gone(
    gone: Database, clock: ManualClock
) -> None:
    app = app_over(gone, clock, metrics_token=METRICS_TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        exposition = scrape(client)
    assert sample(exposition, "escalon_database_up") == 0.0
    assert "escalon_cases{" not in exposition


# -- what the metrics say ----------------------------------------------------------------------


def test_the_counts_come_from_the_database_and_two_processes_agree(
    workspace: Workspace, scraped: TestClient
) -> None:
    first = open_case(workspace)
    open_case(workspace, subject="Second")
    escalated = workspace.client.post(
        f"/api/v1/cases/{first['id']}/escalations",
        json={
            "kind": "hierarchical",
            "to_level": "supervisor",
            "reason": "the customer asked for a manager",
        },
        headers=workspace.headers("supervisor"),
    )
    assert escalated.status_code == 200, escalated.text
    with workspace.database.write() as session:
        session.execute(
            text(
                "INSERT INTO inbound_emails (received_at, source, size, raw, status) "
                "VALUES (0, 'smtp', 3, :raw, 'held'), (0, 'smtp', 3, :raw, 'opened')"
            ),
            {"raw": b"abc"},
        )
        pending = session.execute(
            text("SELECT count(*) FROM outbox WHERE status = 'pending'")
        ).scalar_one()
        session.execute(
            text("UPDATE outbox SET status = 'dead' WHERE id = (SELECT min(id) FROM outbox)")
        )
    assert pending >= 1

    one = scrape(scraped)
    other = scrape(workspace.client, workspace.tokens["admin"])
    for exposition in (one, other):
        assert sample(exposition, "escalon_database_up") == 1.0
        assert sample(exposition, "escalon_cases", status="open") == 2.0
        assert sample(exposition, "escalon_cases", status="resolved") == 0.0
        assert sample(exposition, "escalon_escalations_fired_total", action="escalate") == 1.0
        assert sample(exposition, "escalon_outbox_backlog") == pending - 1
        assert sample(exposition, "escalon_outbox_dead_letters") == 1.0
        assert sample(exposition, "escalon_inbound_emails", status="held") == 1.0
        assert sample(exposition, "escalon_inbound_emails", status="opened") == 1.0


def test_the_firing_lag_is_how_late_the_worker_claimed_each_due_timer(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    due = workspace.client.get(f"/api/v1/cases/{case['id']}", headers=workspace.headers())
    next_check = due.json()["next_check_at"]
    assert next_check is not None
    app = workspace.client.app
    assert isinstance(app, FastAPI)
    from datetime import datetime, timedelta

    workspace.clock.set(datetime.fromisoformat(next_check) + timedelta(seconds=90))
    worker = Worker(app.state.services, outbox=False, metrics=app.state.metrics)
    worker.timer_step()

    exposition = scrape(workspace.client, workspace.tokens["admin"])
    assert sample(exposition, "escalon_timer_firing_lag_seconds_count") == 1.0
    assert sample(exposition, "escalon_timer_firing_lag_seconds_sum") == pytest.approx(90.0)
    assert sample(exposition, "escalon_timer_firing_lag_seconds_bucket", le="60.0") == 0.0
    assert sample(exposition, "escalon_timer_firing_lag_seconds_bucket", le="300.0") == 1.0
    assert sample(exposition, "escalon_worker_ticks_total") == 1.0


def test_a_separate_worker_serves_its_lag_on_loopback(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "escalon.db"
    path.write_bytes(sqlite_template.read_bytes())
    port = free_port()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "escalon", "worker", "--metrics-port", str(port)],
        env={**os.environ, "ESCALON_DATABASE_URL": f"sqlite:///{path}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        exposition = ""
        for _ in range(150):
            try:
                exposition = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert "escalon_timer_firing_lag_seconds_bucket" in exposition
        assert "escalon_cases" not in exposition, "business volumes are the API's, behind a token"
        with socket.socket() as probe:
            # Loopback only: the worker's port is not on the machine's other addresses.
            probe.settimeout(1)
            other = socket.gethostbyname(socket.gethostname())
            if not other.startswith("127."):
                assert probe.connect_ex((other, port)) != 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        log.close()
