"""The service fixtures (a seeded API on SQLite and PostgreSQL) for the channel tests."""

from tests.service.conftest import (  # noqa: F401 (fixtures used by name)
    clock,
    database,
    postgres_url,
    sqlite_template,
    workspace,
)

# A real SMTP server that records what Escalon sends.
from tests.service.test_outbox import (  # noqa: F401 (fixtures used by name)
    receiver,
    smtp_server,
)
