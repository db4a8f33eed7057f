"""`escalon backup` and `escalon restore`: a consistent copy of the database, and bringing one back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from escalon.cli.service import audit, fail
from escalon.config import get_settings


def _summary(rows: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in rows.items())


def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (made with mode 0600).")],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Copy the whole database to FILE while Escalon runs (SQLite's online backup; pg_dump's
    custom format on PostgreSQL). Keys are not in it: keep the key file safe on its own."""
    from escalon.cli.service import database_ready
    from escalon.database.backup import BackupFailed
    from escalon.database.backup import backup as make_backup

    database = database_ready(get_settings())
    try:
        report = make_backup(database, file, overwrite=force)
    except BackupFailed as error:
        fail(str(error))
    with database.write() as session:
        audit(session, "backup.made", f"backup:{file.name}", {"size": report.size, **report.rows})
    database.dispose()
    Console(highlight=False, soft_wrap=True).print(
        f"{report.kind} backup written to {file} ({report.size:,} bytes, schema revision "
        f"{report.revision}): {_summary(report.rows)}"
    )


def restore(
    file: Annotated[Path, typer.Argument(help="A file made by `escalon backup`.")],
) -> None:
    """Load FILE into the configured database, which must be empty (ESCALON_DATABASE_URL)."""
    from escalon.cli.service import _database
    from escalon.database.backup import BackupFailed
    from escalon.database.backup import restore as load_backup
    from escalon.database.migrate import head_revision

    database = _database(get_settings())
    try:
        report = load_backup(database, file)
    except BackupFailed as error:
        fail(str(error))
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"{report.kind} backup {file} restored (schema revision {report.revision}): "
        f"{_summary(report.rows)}"
    )
    if report.revision == head_revision():
        with database.write() as session:
            audit(session, "backup.restored", f"backup:{file.name}", dict(report.rows))
    else:
        out.print(
            f"The backup is at schema revision {report.revision}; this release needs "
            f"{head_revision()}: run `escalon db upgrade` next."
        )
    database.dispose()
