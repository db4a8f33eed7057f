"""Fixtures for tests of the live service: a migrated database on SQLite and PostgreSQL, a
manual clock, the API with users of every role, and the example policy active."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from escalon.api.app import create_app
from escalon.auth import service as auth
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Base, Database
from escalon.database.migrate import upgrade
from escalon.demo import policy_text
from escalon.people import service as people
from escalon.people.schemas import AgentIn, TeamIn
from escalon.policies import service as policies
from tests.postgres import scratch_database

# Monday 30 November 2026, 10:00 in Berlin: inside office hours.
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ROLES = ("admin", "supervisor", "agent", "integration")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "escalon.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the session; tables are emptied between tests."""
    with scratch_database() as url:
        database = Database(url)
        upgrade(database)
        database.dispose()
        yield url


def _empty_postgres(database: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "escalon.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("postgres_url"), pool_size=4)
        _empty_postgres(db)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test moves it."""
    return ManualClock(START)


@dataclass
class Workspace:
    """A running API over a seeded database."""

    client: TestClient
    database: Database
    clock: ManualClock
    tokens: dict[str, str]
    policy_id: int

    def headers(self, role: str = "admin", **extra: str) -> dict[str, str]:
        """Authorization (and any other) headers for a user of `role`."""
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}


def seed(database: Database, clock: ManualClock) -> tuple[dict[str, str], int]:
    """Teams, agents, one user per role with a token, and the example policy active."""
    now = clock.now_us()
    tokens: dict[str, str] = {}
    with database.write() as session:
        for team in ("frontline", "supervisors", "specialists", "management", "finance"):
            people.create_team(session, data=TeamIn(name=team), now=now)
        for handle, level, team in (
            ("ana", "frontline", "frontline"),
            ("sara", "supervisor", "supervisors"),
            ("omar", "specialist", "specialists"),
            ("mia", "management", "management"),
        ):
            people.create_agent(
                session,
                data=AgentIn(
                    handle=handle,
                    name=handle.title(),
                    email=f"{handle}@example.org",
                    level=level,
                    teams=[team],
                ),
                now=now,
            )
        agents = {"supervisor": "sara", "agent": "ana"}
        for role in ROLES:
            user = auth.create_user(
                session, username=role, role=role, now=now, agent=agents.get(role)
            )
            _record, tokens[role] = auth.create_token(session, user=user, now=now)
        version, _ = policies.upload(
            session, text=policy_text(), filename="policy.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)
        policy_id = version.id
    return tokens, policy_id


@pytest.fixture
def workspace(
    request: pytest.FixtureRequest, database: Database, clock: ManualClock
) -> Iterator[Workspace]:
    """The API over a seeded database, driven by a manual clock.

    A test module may set `WORKSPACE_SETTINGS` (a dict) to run its API with other settings.
    """
    tokens, policy_id = seed(database, clock)
    overrides = getattr(request.module, "WORKSPACE_SETTINGS", {})
    settings = Settings(database_url=database.url, token_cache_seconds=0, **overrides)
    app = create_app(settings=settings, database=database, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Workspace(client, database, clock, tokens, policy_id)


@pytest.fixture
def teams(workspace: Workspace) -> Iterator[TestClient]:
    """The API (and dashboard) over the workspace's database, with case visibility `teams`."""
    running = cast(FastAPI, workspace.client.app)
    settings = running.state.services.settings.model_copy(update={"case_visibility": "teams"})
    app = create_app(settings=settings, database=workspace.database, clock=workspace.clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
