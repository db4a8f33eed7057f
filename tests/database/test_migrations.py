"""The Alembic migrations, on SQLite and PostgreSQL: they build exactly the models' schema, go down
and up again, and the service refuses to start on a schema that is not the current one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, text

from escalon.cases import search
from escalon.database import Base, Database
from escalon.database.migrate import (
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    head_revision,
    require_current,
    upgrade,
)
from tests.support.postgres import scratch_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of each kind with nothing in it, not even Alembic's table."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    with scratch_database("escalon_migrations") as url:
        db = Database(url, pool_size=2)
        yield db
        db.dispose()


def downgrade(database: Database, revision: str = "base") -> None:
    """Take the schema down to `revision`, as `alembic downgrade` would."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def differences(database: Database) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": _not_search,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def _not_search(name: str | None, kind: str, _parents: dict[str, str | None]) -> bool:
    """Leave out the search index: a dialect's own kind of table (FTS5, tsvector), made by
    its migration and outside the models (escalon.cases.search)."""
    return not (kind == "table" and name is not None and name.startswith(search.TABLE))


def tables(database: Database) -> set[str]:
    """The tables in the database."""
    names = inspect(database.engine).get_table_names()
    return {name for name in names if not name.startswith(search.TABLE)}


def _predicate(clause: Any) -> str:
    """A partial index's WHERE clause, without the casts, brackets and spaces databases add."""
    written = str(getattr(clause, "text", clause))
    return re.sub(r"::\w+|[()\s]", "", written).lower()


def partial_indexes(database: Database) -> dict[tuple[str, str], str]:
    """(table, index) -> predicate of every partial index in the database."""
    key = f"{database.engine.dialect.name}_where"
    inspector = inspect(database.engine)
    found = {}
    for table in inspector.get_table_names():
        for index in inspector.get_indexes(table):
            where = index.get("dialect_options", {}).get(key)
            if where is not None:
                found[(table, str(index["name"]))] = _predicate(where)
    return found


def model_partial_indexes(dialect: str) -> dict[tuple[str, str], str]:
    """(table, index) -> predicate of every partial index the models declare."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            where = index.dialect_options[dialect].get("where")
            if where is not None:
                found[(table.name, str(index.name))] = _predicate(where)
    return found


def add_audit_entry(database: Database) -> None:
    """One audit entry (of one case, of one customer, under one policy version)."""
    with database.engine.begin() as connection:
        connection.execute(
            insert(Base.metadata.tables["customers"]),
            {"id": 1, "ref": "K-1", "created_at": 1, "updated_at": 1},
        )
        connection.execute(
            insert(Base.metadata.tables["policy_versions"]),
            {
                "id": 1,
                "name": "p",
                "version": "1",
                "fingerprint": "f",
                "filename": "p.yaml",
                "source": "",
                "warnings": [],
                "uploaded_at": 1,
                "active": True,
            },
        )
        connection.execute(
            insert(Base.metadata.tables["cases"]),
            {
                "id": 1,
                "customer_id": 1,
                "policy_version_id": 1,
                "subject": "",
                "priority": "P3",
                "status": "open",
                "level": "frontline",
                "level_rank": 0,
                "team": "frontline",
                "escalations": 0,
                "awaiting_ack": False,
                "reopened": 0,
                "opened_at": 1,
                "updated_at": 1,
                "version": 1,
                "state": "{}",
            },
        )
        connection.execute(
            insert(Base.metadata.tables["audit_entries"]),
            {"case_id": 1, "at": 1, "recorded_at": 1, "actor": "ana", "kind": "case.opened"},
        )


def audit_is_append_only(database: Database) -> bool:
    """Whether the database refuses to change the audit entries (there must be one)."""
    try:
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE audit_entries SET actor = 'mallory'"))
    except Exception as error:
        return "append-only" in str(error)
    return False


def test_the_migrations_build_exactly_the_models_schema(empty_database: Database) -> None:
    upgrade(empty_database)

    assert differences(empty_database) == []
    assert tables(empty_database) == set(Base.metadata.tables) | {"alembic_version"}


def test_the_migrations_keep_the_predicates_of_partial_indexes(empty_database: Database) -> None:
    upgrade(empty_database)

    expected = model_partial_indexes(empty_database.engine.dialect.name)
    assert expected  # the models do declare some
    assert partial_indexes(empty_database) == expected


def test_the_migrated_audit_trail_is_append_only(empty_database: Database) -> None:
    upgrade(empty_database)
    add_audit_entry(empty_database)

    assert audit_is_append_only(empty_database)


def test_an_empty_database_is_refused_with_the_command_that_fixes_it(
    empty_database: Database,
) -> None:
    with pytest.raises(SchemaOutOfDate) as refused:
        require_current(empty_database)

    message = str(refused.value)
    assert "an empty database" in message
    assert f"this release needs revision {head_revision()}" in message
    assert "run `escalon db upgrade`" in message


def test_a_database_at_the_newest_revision_is_accepted(empty_database: Database) -> None:
    upgrade(empty_database)

    require_current(empty_database)
    assert current_revision(empty_database) == head_revision()


def test_a_database_from_a_newer_release_is_refused(empty_database: Database) -> None:
    upgrade(empty_database)
    with empty_database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(SchemaOutOfDate, match="the database is at revision 9999"):
        require_current(empty_database)


def test_upgrading_a_current_database_changes_nothing(empty_database: Database) -> None:
    upgrade(empty_database)
    with empty_database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO teams (name, description, created_at) VALUES ('kept', '', 1)")
        )

    upgrade(empty_database)

    with empty_database.engine.connect() as connection:
        assert connection.scalar(text("SELECT name FROM teams")) == "kept"
    require_current(empty_database)


def test_downgrading_to_base_removes_everything_and_upgrading_again_rebuilds_it(
    empty_database: Database,
) -> None:
    upgrade(empty_database)

    downgrade(empty_database)

    assert tables(empty_database) == {"alembic_version"}
    assert current_revision(empty_database) is None
    with pytest.raises(SchemaOutOfDate, match="an empty database"):
        require_current(empty_database)
    with empty_database.engine.connect() as connection:
        if empty_database.is_postgresql:
            leftover = connection.scalar(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'escalon_audit_is_append_only'")
            )
        else:
            leftover = connection.scalar(
                text(
                    "SELECT count(*) FROM sqlite_master "
                    "WHERE type IN ('trigger', 'index') AND tbl_name != 'alembic_version'"
                )
            )
    assert leftover == 0

    upgrade(empty_database)

    require_current(empty_database)
    assert differences(empty_database) == []
    assert partial_indexes(empty_database) == model_partial_indexes(
        empty_database.engine.dialect.name
    )
    add_audit_entry(empty_database)
    assert audit_is_append_only(empty_database)


def test_agents_from_before_profiles_get_empty_skills_and_utc(empty_database: Database) -> None:
    upgrade(empty_database, "0001")
    with empty_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO agents (handle, name, capacity, status, active, created_at) "
                "VALUES ('old', 'Old Hand', 5, 'available', true, 1)"
            )
        )
    upgrade(empty_database)
    with empty_database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT skills, languages, timezone, working_hours FROM agents")
        ).one()
    skills, languages = (json.loads(v) if isinstance(v, str) else v for v in row[:2])
    assert (skills, languages, row[2], row[3]) == ([], [], "UTC", None)
