"""The service fixtures (a seeded API on SQLite and PostgreSQL) for the dashboard tests."""

from tests.service.conftest import (  # noqa: F401 (fixtures used by name)
    clock,
    database,
    postgres_url,
    sqlite_template,
    workspace,
)
