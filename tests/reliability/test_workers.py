"""Worker processes against a real database: every due escalation fires once, whatever happens.

These tests run `escalon worker` as subprocesses on the machine's clock. They wait for the
workers' progress in the database, never for a deadline in Escalon's own logic.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import pytest
from bench import load
from sqlalchemy import func, select

from escalon.cases.models import AuditEntry, Case, Escalation
from escalon.database import Database
from escalon.notifications.models import OutboxMessage
from tests.support.postgres import SERVER, require_server
from tests.support.webhooks import KeyRecorder

# Worker processes, SIGKILLs and a PostgreSQL restart: these run alone, after the other tests.
pytestmark = pytest.mark.serial

US = 1_000_000


def now_us() -> int:
    """The machine's clock, as the workers read it."""
    return time.time_ns() // 1000


def seed_due(
    database: Database, count: int, first_due: int, last_due: int, notify: str
) -> dict[int, int]:
    """`count` cases whose first response breaches between two instants; {case id: due}."""
    workspace = load.prepare(database, notify=notify, now=now_us())
    ids = load.next_ids(database, count)
    step = (last_due - first_due) / max(1, count - 1)
    dues = [first_due + round(step * n) for n in range(count)]
    random.Random(7).shuffle(dues)
    load.insert_rows(database, load.due_rows(workspace, ids, dues))
    return dict(zip(ids, dues, strict=True))


def fired(database: Database) -> int:
    """Escalations the breach rule has written so far."""
    with database.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Escalation).where(Escalation.rule == load.RULE)
            )
            or 0
        )


def assert_each_fired_once_at_its_due_instant(database: Database, dues: dict[int, int]) -> None:
    """One escalation per firing key, per case, at the case's due instant; one audit entry each."""
    with database.read() as session:
        rows = session.execute(
            select(Escalation.case_id, Escalation.firing_key, Escalation.at).where(
                Escalation.rule == load.RULE
            )
        ).all()
        audit_keys = session.execute(
            select(AuditEntry.key, func.count())
            .where(AuditEntry.kind == "escalate", AuditEntry.rule == load.RULE)
            .group_by(AuditEntry.key)
        ).all()
    per_key: dict[str, int] = {}
    for _case, key, _at in rows:
        per_key[key] = per_key.get(key, 0) + 1
    assert len(rows) == len(dues), f"{len(rows)} escalations for {len(dues)} due cases"
    assert max(per_key.values()) == 1
    assert {case for case, _key, _at in rows} == set(dues)
    assert all(at == dues[case] for case, _key, at in rows)
    assert len(audit_keys) == len(dues)
    assert all(count == 1 for _key, count in audit_keys)
    assert set(per_key) == {key for key, _count in audit_keys}


def assert_clean_logs(workers: list[load.WorkerProcess]) -> None:
    """No worker met an error it did not expect."""
    for worker in workers:
        output = worker.output()
        assert "Traceback" not in output, output[-3000:]
        assert "set aside" not in output, output[-3000:]


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_concurrent_workers_fire_every_due_escalation_exactly_once(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """PostgreSQL: 3 workers, 20,000 cases due within one minute. SQLite: 1 worker, 5,000."""
    database: Database = request.getfixturevalue(f"{kind}_database")
    count, processes = (20_000, 3) if kind == "postgresql" else (5_000, 1)
    start = now_us()
    # Due instants from 25 s ago to 25 s ahead: half are overdue when the workers start.
    dues = seed_due(database, count, start - 25 * US, start + 25 * US, "level_team")
    workers = [
        load.start_worker(
            database.url, tmp_path / f"worker{n}.log", batch=500, arguments=["--no-outbox"]
        )
        for n in range(processes)
    ]
    try:
        load.wait_for(lambda: fired(database) >= count, timeout=240, every=0.5, what="every firing")
        with database.read() as session:
            remaining = session.scalar(
                select(func.count()).select_from(Case).where(Case.level == "frontline")
            )
        assert remaining == 0
    finally:
        codes = [worker.terminate() for worker in workers]
    assert codes == [0] * processes  # SIGTERM: each finished its batch and exited cleanly
    assert_each_fired_once_at_its_due_instant(database, dues)
    assert_clean_logs(workers)
    if processes > 1:
        shares = [worker.output().count("escalation(s)") for worker in workers]
        assert all(shares), f"a worker never fired anything: {shares}"


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, key_recorder: KeyRecorder
) -> None:
    """SIGKILL ten times at random moments; the outbox reaches the webhook at least once each."""
    database: Database = request.getfixturevalue(f"{kind}_database")
    count = 6_000 if kind == "postgresql" else 3_000
    start = now_us()
    load.add_webhook(database, name="ops", url=key_recorder.url, secret="s" * 32, now=start)
    dues = seed_due(database, count, start - 20 * US, start + 5 * US, "webhook:ops")
    env = {
        "ESCALON_OUTBOX_LEASE_SECONDS": "1",
        "ESCALON_OUTBOX_BATCH": "50",
        "ESCALON_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on loopback
    }
    rng = random.Random(11)
    log = tmp_path / "worker.log"
    kills = 0
    busy_at_kill = []
    while kills < 10:
        worker = load.start_worker(database.url, log, batch=50, extra_env=env)
        time.sleep(rng.uniform(0.6, 1.8))  # a random moment in the worker's life
        busy_at_kill.append(fired(database) < count or _undelivered(database) > 0)
        worker.kill()
        kills += 1
    assert sum(busy_at_kill) >= 8, "most kills should land while there was work in flight"
    final = load.start_worker(database.url, log, batch=500, extra_env=env)
    try:
        load.wait_for(lambda: fired(database) >= count, timeout=180, what="every firing")
        load.wait_for(lambda: _undelivered(database) == 0, timeout=180, what="every delivery")
    finally:
        assert final.terminate() == 0
    assert_each_fired_once_at_its_due_instant(database, dues)
    with database.read() as session:
        outbox = session.execute(
            select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.channel)
        ).all()
    webhook_keys = {key for key, _status, channel in outbox if channel == "webhook"}
    assert len(webhook_keys) == count  # one webhook message per firing, never two
    assert {status for _key, status, _channel in outbox} == {"delivered"}
    received = key_recorder.keys()
    assert set(received) == webhook_keys  # at least once each, and only real keys
    assert all(len(key) == 64 for key in received)


def _undelivered(database: Database) -> int:
    with database.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "delivered")
            )
            or 0
        )


def _pg_ctl(action: str) -> None:
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _pg_up() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False, timeout=10
        ).returncode
        == 0
    )


def test_workers_wait_out_a_database_restart_and_fire_what_fell_due(
    postgresql_database: Database, tmp_path: Path
) -> None:
    """PostgreSQL stops while two workers run; cases fall due; it starts again; all fire once."""
    require_server()
    if not SERVER.startswith("postgresql://root@127.0.0.1:5432") or not os.path.isdir(
        "/etc/postgresql"
    ):
        pytest.skip("restarting the server needs the local cluster at 127.0.0.1:5432")
    database = postgresql_database
    count = 2_000
    start = now_us()
    # Seeding and starting two workers took over 6 s on a slow CI machine; the margin keeps every
    # due instant after the server has stopped.
    dues = seed_due(database, count, start + 20 * US, start + 26 * US, "level_team")
    workers = [
        load.start_worker(database.url, tmp_path / f"worker{n}.log", arguments=["--no-outbox"])
        for n in range(2)
    ]
    try:
        load.wait_for(
            lambda: all("worker started" in w.output() for w in workers),
            timeout=60,
            what="the workers to start",
        )
        assert fired(database) == 0, "the workers started after the first case fell due"
        database.dispose()
        _pg_ctl("stop")
        try:
            # Everything falls due while the server is down.
            while now_us() < start + 28 * US:
                time.sleep(0.5)
            assert all(w.process.poll() is None for w in workers), "a worker died with the server"
        finally:
            _pg_ctl("start")
            load.wait_for(_pg_up, timeout=60, what="PostgreSQL to accept connections")
        load.wait_for(lambda: fired(database) >= count, timeout=120, what="every firing")
    finally:
        if not _pg_up():
            _pg_ctl("start")
        codes = [worker.terminate() for worker in workers]
    assert codes == [0, 0]
    assert_each_fired_once_at_its_due_instant(database, dues)
    logs = "".join(worker.output() for worker in workers)
    assert "database unavailable" in logs
    assert "the database is back" in logs
