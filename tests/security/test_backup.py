"""`escalon backup` and `escalon restore`: a backup restored into an empty database brings back
every case, message, attachment, audit entry and escalation, and holds no key."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from escalon import keys
from escalon.channels.mail import receive_email
from escalon.cli import app
from escalon.config import get_settings
from escalon.database import Base, Database
from escalon.database.backup import BackupFailed, backup, count_rows, restore
from escalon.database.migrate import upgrade
from tests.builders.workspace import Workspace
from tests.support.postgres import scratch_database

WEBHOOK_SECRET = "webhook-secret-that-must-stay-sealed"
# Rows the running service rewrites on its own (rate counters synced in the background): not
# part of what a restore must reproduce exactly.
VOLATILE = {"rate_counters"}


def _fill(ws: Workspace) -> None:
    """Cases with messages, an escalation, an approval, an attachment and an admin change."""
    client, headers = ws.client, ws.headers()
    for number in range(3):
        made = client.post(
            "/api/v1/cases",
            json={
                "customer": {"ref": f"c{number}", "email": f"c{number}@example.com"},
                "subject": f"Problem {number}",
                "body": "Please have a look.",
                "priority": "P2",
            },
            headers=headers,
        )
        assert made.status_code == 201, made.text
    reply = client.post(
        "/api/v1/cases/1/messages",
        json={"author": "agent", "body": "Looking into it.", "public": True},
        headers=ws.headers("agent"),
    )
    assert reply.status_code == 201, reply.text
    escalated = client.post(
        "/api/v1/cases/2/escalations",
        json={"kind": "hierarchical", "to_level": "supervisor", "reason": "needs approval"},
        headers=ws.headers("agent"),
    )
    assert escalated.status_code == 200, escalated.text
    mail = EmailMessage()
    mail["From"] = "Kim <kim@example.org>"
    mail["To"] = "support@example.com"
    mail["Subject"] = "Invoice attached"
    mail["Message-ID"] = "<invoice-1@example.org>"
    mail.set_content("See the attached invoice.")
    mail.add_attachment(
        b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="i.pdf"
    )
    receive_email(ws.database, mail.as_bytes(), now=ws.clock.now_us(), source="smtp")
    assert (
        client.post(
            "/api/v1/users", json={"username": "zoe", "role": "agent"}, headers=headers
        ).status_code
        == 201
    )
    hook = client.post(
        "/api/v1/webhooks",
        json={"name": "crm", "url": "https://93.184.216.34/hook", "secret": WEBHOOK_SECRET},
        headers=headers,
    )
    assert hook.status_code == 201, hook.text


def _everything(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    present = set(inspect(database.engine).get_table_names())
    with database.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE:
                continue
            assert table.name in present, f"table {table.name} is missing"
            order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
            rows = session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
            tables[table.name] = [tuple(row) for row in rows]
        tables["alembic_version"] = [
            tuple(row) for row in session.execute(text("SELECT * FROM alembic_version"))
        ]
    return tables


@pytest.fixture
def empty_twin(workspace: Workspace, tmp_path: Path) -> Iterator[Database]:
    """An empty database of the same kind as the workspace's."""
    if workspace.database.is_sqlite:
        twin = Database(f"sqlite:///{tmp_path / 'restored.db'}")
        yield twin
        twin.dispose()
        return
    with scratch_database("escalon_restore") as url:
        twin = Database(url)
        yield twin
        twin.dispose()


def test_a_restored_backup_holds_every_row_of_every_table(
    workspace: Workspace, empty_twin: Database, tmp_path: Path
) -> None:
    _fill(workspace)
    made = backup(workspace.database, tmp_path / "escalon.backup")
    assert made.rows["cases"] == 4  # three by the API, one by mail
    assert made.rows["attachments"] == 1
    assert made.rows["escalations"] >= 1
    assert (tmp_path / "escalon.backup").stat().st_mode & 0o777 == 0o600
    restored = restore(empty_twin, tmp_path / "escalon.backup")
    assert restored.rows == made.rows
    assert restored.revision == made.revision
    assert _everything(empty_twin) == _everything(workspace.database)
    assert count_rows(empty_twin)["audit_entries"] > 0


def test_a_restore_refuses_a_database_that_is_not_empty(
    workspace: Workspace, tmp_path: Path
) -> None:
    backup(workspace.database, tmp_path / "escalon.backup")
    with pytest.raises(BackupFailed, match="not empty"):
        restore(workspace.database, tmp_path / "escalon.backup")


def test_a_backup_never_overwrites_a_file_unless_asked(
    workspace: Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "escalon.backup"
    target.write_bytes(b"precious")
    with pytest.raises(BackupFailed, match="exists already"):
        backup(workspace.database, target)
    assert target.read_bytes() == b"precious"


def test_a_file_that_is_not_a_backup_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    with pytest.raises(BackupFailed, match="neither a SQLite backup nor a pg_dump archive"):
        restore(Database(f"sqlite:///{tmp_path / 'new.db'}"), bogus)


def test_a_backup_of_one_kind_is_not_restored_into_the_other(tmp_path: Path) -> None:
    source = Database(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(source)
    backup(source, tmp_path / "a.backup")
    with scratch_database("escalon_restore") as url:
        target = Database(url)
        try:
            with pytest.raises(BackupFailed, match="is a sqlite backup"):
                restore(target, tmp_path / "a.backup")
        finally:
            target.dispose()


def _backup_text(path: Path) -> bytes:
    """What the backup holds, readable: the SQLite file, or a pg_dump archive as SQL."""
    if path.read_bytes().startswith(b"PGDMP"):
        return subprocess.run(
            ["pg_restore", "--file=-", str(path)], capture_output=True, check=True
        ).stdout
    return path.read_bytes()


def test_a_backup_holds_no_key_and_no_webhook_secret(workspace: Workspace, tmp_path: Path) -> None:
    _fill(workspace)
    made = backup(workspace.database, tmp_path / "escalon.backup")
    content = _backup_text(made.path)
    assert b"webhook" in content.lower()  # the dump is readable: the search below means something
    ring = keys.current()
    forms: list[bytes] = [WEBHOOK_SECRET.encode()]
    for key in ring.keys:
        forms += [key.secret, keys.encode_secret(key.secret).encode(), key.secret.hex().encode()]
        for purpose in (keys.LINKS, keys.CSRF, keys.SEALING):
            derived = key.derive(purpose)
            forms += [derived, derived.hex().encode(), keys.encode_secret(derived).encode()]
    for form in forms:
        assert form not in content


def test_the_cli_backs_up_and_restores_a_sqlite_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    source = tmp_path / "escalon.db"
    monkeypatch.setenv("ESCALON_DATABASE_URL", f"sqlite:///{source}")
    get_settings.cache_clear()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["users", "create", "ann", "--role", "admin"]).exit_code == 0
        made = runner.invoke(app, ["backup", str(tmp_path / "b.sqlite")])
        assert made.exit_code == 0, made.output
        assert "sqlite backup written" in made.output
        again = runner.invoke(app, ["backup", str(tmp_path / "b.sqlite")])
        assert again.exit_code == 1
        assert "exists already" in again.output
        monkeypatch.setenv("ESCALON_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
        get_settings.cache_clear()
        restored = runner.invoke(app, ["restore", str(tmp_path / "b.sqlite")])
        assert restored.exit_code == 0, restored.output
        assert "1 users" in restored.output
    finally:
        get_settings.cache_clear()
    with sqlite3.connect(tmp_path / "new.db") as connection:
        actions = [
            row[0] for row in connection.execute("SELECT action FROM admin_audit ORDER BY id")
        ]
    # The trail made it across, and the restore wrote its own entry into it.
    assert actions == ["user.created", "backup.restored"]
