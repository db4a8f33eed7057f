"""A seeded workspace: the API over a migrated database with users of every role, teams,
agents and the example policy active, on a manual clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text

from escalon.auth import service as auth
from escalon.clock import ManualClock
from escalon.database import Base, Database
from escalon.demo import policy_text
from escalon.people import service as people
from escalon.people.schemas import AgentIn, TeamIn
from escalon.policies import service as policies

# Monday 30 November 2026, 10:00 in Berlin: inside office hours.
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ROLES = ("admin", "supervisor", "agent", "integration")


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


def empty_postgres(database: Database) -> None:
    """Empty every table of a migrated PostgreSQL database, numbering from 1 again."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
