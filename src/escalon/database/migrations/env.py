"""Alembic's entry point: runs migrations on the connection or URL Escalon hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from escalon.database import models

config = context.config
target_metadata = models.Base.metadata


def run() -> None:
    """Run the migrations online, on Escalon's connection when one is given."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own:
        _migrate(own)
    engine.dispose()


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: Alembic rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
