"""Schema migrations (Alembic), run by `escalon db upgrade` and checked at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from escalon.database.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is not the one this release expects."""


def alembic_config(database: Database) -> Config:
    """Alembic's configuration for this database, without an alembic.ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (the newest by default)."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    """The newest revision this release knows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(database: Database) -> None:
    """Refuse to run on a schema older or newer than this release's."""
    current, head = current_revision(database), head_revision()
    if current != head:
        found = "is an empty database" if current is None else f"is at revision {current}"
        raise SchemaOutOfDate(
            f"the database {found} but this release needs revision {head}: "
            "run `escalon db upgrade` first"
        )
