"""Backups: a consistent copy of the whole database taken while Escalon runs, and restoring one
into an empty database.

SQLite is copied with its online backup API (a consistent snapshot even while workers write;
the write-ahead log is included). PostgreSQL is dumped with `pg_dump` in its custom format,
inside a snapshot exported from a repeatable-read transaction, so the row counts reported are
those of the very state that was dumped. Neither holds a key: keys live outside the database
(see docs/operations.md), so a backup must be kept together with the key file to be of use for
customers' links and webhook secrets, and a stolen backup alone signs nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from escalon.database.engine import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# What the report counts: the tables a support team would miss first.
COUNTED = (
    "cases",
    "messages",
    "attachments",
    "audit_entries",
    "escalations",
    "customers",
    "inbound_emails",
    "outbox",
    "users",
    "admin_audit",
)


class BackupFailed(RuntimeError):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup or restore covered."""

    path: Path
    kind: str  # sqlite or postgresql
    size: int
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)


def kind_of(path: Path) -> str:
    """Which database a backup file is of, from its first bytes."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupFailed(f"cannot read {path}: {error.strerror or error}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupFailed(f"{path} is neither a SQLite backup nor a pg_dump archive")


def backup(database: Database, target: Path, *, overwrite: bool = False) -> BackupReport:
    """Copy the whole database to `target` (mode 0600), consistently, while it runs."""
    if target.exists() and not overwrite:
        raise BackupFailed(f"{target} exists already: choose another file (or --force)")
    if target.parent and not target.parent.is_dir():
        raise BackupFailed(f"the folder {target.parent} does not exist")
    # Written beside the target and renamed at the end: a failed backup leaves no half file.
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or None)
    os.close(handle)
    partial = Path(temporary)
    try:
        if database.is_sqlite:
            rows = _sqlite_backup(_sqlite_path(database), partial)
        else:
            rows = _pg_backup(database, partial)
        partial.chmod(0o600)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(
        target,
        "sqlite" if database.is_sqlite else "postgresql",
        target.stat().st_size,
        _revision_of(database),
        rows,
    )


def restore(database: Database, source: Path) -> BackupReport:
    """Load a backup into the configured database, which must be empty."""
    kind = kind_of(source)
    wanted = "sqlite" if database.is_sqlite else "postgresql"
    if kind != wanted:
        raise BackupFailed(
            f"{source} is a {kind} backup but the configured database is {wanted}: restore it "
            f"into a {kind} database (ESCALON_DATABASE_URL)"
        )
    tables = inspect(database.engine).get_table_names()
    if tables:
        raise BackupFailed(
            f"the configured database is not empty ({len(tables)} tables): restore into a new, "
            "empty database, then point Escalon at it"
        )
    database.dispose()
    if database.is_sqlite:
        _sqlite_restore(source, _sqlite_path(database))
    else:
        _pg_restore(database, source)
    database.dispose()
    return BackupReport(
        source, kind, source.stat().st_size, _revision_of(database), count_rows(database)
    )


def count_rows(database: Database) -> dict[str, int]:
    """Rows of the counted tables that exist in the database."""
    present = set(inspect(database.engine).get_table_names())
    with database.read() as session:
        return {
            name: int(session.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0)
            for name in COUNTED
            if name in present
        }


# -- SQLite ----------------------------------------------------------------------------------------


def _sqlite_path(database: Database) -> Path:
    name = make_url(database.url).database
    if not name or name == ":memory:":
        raise BackupFailed("an in-memory database has nothing to back up or restore into")
    return Path(name)


def _sqlite_backup(source: Path, target: Path) -> dict[str, int]:
    if not source.exists():
        raise BackupFailed(f"the database file {source} does not exist")
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)
        # The copy stands alone: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        _check_sqlite(copy, target)
        return _sqlite_counts(copy)
    finally:
        copy.close()
        origin.close()


def _sqlite_restore(source: Path, target: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_sqlite(backup_file, source)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        destination = sqlite3.connect(target)
        try:
            backup_file.backup(destination)
        finally:
            destination.close()
    finally:
        backup_file.close()


def _check_sqlite(connection: sqlite3.Connection, path: Path) -> None:
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupFailed(f"{path} is not a readable SQLite database: {error}") from None
    if verdict is None or verdict[0] != "ok":
        raise BackupFailed(f"{path} fails SQLite's integrity check: {verdict}")


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    present = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    return {
        name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
        for name in COUNTED
        if name in present
    }


# -- PostgreSQL ------------------------------------------------------------------------------------


def _libpq(database: Database) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump/pg_restore, and the environment carrying the password
    (never on the command line, where other users of the machine could read it)."""
    url = make_url(database.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} is not installed: install PostgreSQL's client tools (Debian: "
            "postgresql-client) in the server's major version"
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        problem = (done.stderr or done.stdout).strip().splitlines()
        raise BackupFailed(
            f"{Path(command[0]).name} failed: {problem[-1] if problem else done.returncode}"
        )


def _pg_backup(database: Database, target: Path) -> dict[str, int]:
    dsn, env = _libpq(database)
    dump = _tool("pg_dump")
    isolated = database.engine.execution_options(isolation_level="REPEATABLE READ")
    # The dump and the counts see one snapshot: the one this transaction exports.
    with isolated.connect() as connection, connection.begin():
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        present = set(
            connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).scalars()
        )
        rows = {
            name: int(connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one())
            for name in COUNTED
            if name in present
        }
        _run(
            [
                dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={dsn}",
            ],
            env,
        )
    return rows


def _pg_restore(database: Database, source: Path) -> None:
    dsn, env = _libpq(database)
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={dsn}",
            str(source),
        ],
        env,
    )


def _revision_of(database: Database) -> str | None:
    from escalon.database.migrate import current_revision

    try:
        return current_revision(database)
    except Exception:  # a database without Alembic's table: say nothing rather than fail
        return None
