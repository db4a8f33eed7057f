"""The service fixtures (a seeded API on SQLite and PostgreSQL) for the security tests: each
test plays an attack and checks that it now fails."""

from tests.service.conftest import (  # noqa: F401 (fixtures used by name)
    clock,
    database,
    postgres_url,
    sqlite_template,
    teams,
    workspace,
)
