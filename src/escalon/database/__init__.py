"""The database: engine and sessions, the shared declarative base, and Alembic migrations."""

from __future__ import annotations

from escalon.database.base import Base
from escalon.database.engine import Database, normalise_url

__all__ = ["Base", "Database", "normalise_url"]
