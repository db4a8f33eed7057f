"""Logging for the service and the worker: one line per record, to stderr."""

from __future__ import annotations

import logging


def configure(level: str = "INFO") -> None:
    """Send Escalon's log records to stderr at `level`."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    # SQLAlchemy's own INFO lines are every statement; keep them out unless asked.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
