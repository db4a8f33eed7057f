"""The command line of users, tokens, sessions and keys, on a SQLite file as an operator runs it."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from escalon import keys
from escalon.admin_audit.models import AdminAuditEntry
from escalon.auth.models import ApiToken
from escalon.cli import app
from escalon.config import get_settings
from escalon.database import Database
from escalon.notifications.models import Webhook

runner = CliRunner()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file with an admin, its keys in a key file beside it (no ESCALON_KEYS)."""
    url = f"sqlite:///{tmp_path / 'escalon.db'}"
    monkeypatch.setenv("ESCALON_DATABASE_URL", url)
    monkeypatch.delenv("ESCALON_KEYS", raising=False)
    get_settings.cache_clear()
    keys.forget()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["users", "create", "ann", "--role", "admin"]).exit_code == 0
    assert runner.invoke(app, ["users", "create", "bo", "--role", "agent"]).exit_code == 0
    yield url
    get_settings.cache_clear()
    keys.forget()


def _actions(url: str) -> list[tuple[str, str]]:
    database = Database(url)
    with database.read() as session:
        rows = session.execute(
            select(AdminAuditEntry.action, AdminAuditEntry.target).order_by(AdminAuditEntry.id)
        ).all()
    database.dispose()
    return [(action, target) for action, target in rows]


def _expiry(url: str) -> list[int | None]:
    database = Database(url)
    with database.read() as session:
        found = list(session.scalars(select(ApiToken.expires_at).order_by(ApiToken.id)))
    database.dispose()
    return found


def test_tokens_get_the_default_lifetime_unless_told_never(database_url: str) -> None:
    assert runner.invoke(app, ["tokens", "create", "bo"]).exit_code == 0
    assert runner.invoke(app, ["tokens", "create", "bo", "--never-expires"]).exit_code == 0
    both = runner.invoke(
        app, ["tokens", "create", "bo", "--never-expires", "--expires-in-days", "3"]
    )

    lifetimes = _expiry(database_url)
    assert lifetimes[0] is not None
    assert lifetimes[1] is None
    assert both.exit_code == 1
    listed = runner.invoke(app, ["tokens", "list", "bo"])
    assert listed.exit_code == 0
    assert "expires never" in listed.output
    assert "esc_" in listed.output  # the prefix only
    assert len(listed.output.strip().splitlines()) == 2


def test_users_set_disables_a_user_ends_their_tokens_and_is_audited(database_url: str) -> None:
    token = runner.invoke(app, ["tokens", "create", "bo"]).output.strip()

    disabled = runner.invoke(app, ["users", "set", "bo", "--disable"])
    listed = runner.invoke(app, ["users", "list"])
    refused = runner.invoke(app, ["tokens", "create", "bo"])

    assert disabled.exit_code == 0, disabled.output
    assert "1 token(s) revoked" in disabled.output
    assert ["bo", "agent", "-", "disabled"] in [line.split() for line in listed.output.splitlines()]
    assert refused.exit_code == 1
    assert token not in listed.output
    actions = _actions(database_url)
    assert ("user.disabled", "user:bo") in actions
    assert ("token.revoked", "token:1") in actions


def test_users_set_changes_a_role_and_refuses_to_demote_the_last_admin(database_url: str) -> None:
    promoted = runner.invoke(app, ["users", "set", "bo", "--role", "supervisor"])
    last_admin = runner.invoke(app, ["users", "set", "ann", "--role", "agent"])
    nothing = runner.invoke(app, ["users", "set", "bo"])

    assert promoted.exit_code == 0
    assert "bo: supervisor, enabled" in promoted.output
    assert last_admin.exit_code == 1
    assert "last active admin" in last_admin.output
    assert nothing.exit_code == 1
    assert ("user.updated", "user:bo") in _actions(database_url)


def test_keys_init_status_rotate_and_retire(database_url: str, tmp_path: Path) -> None:
    from escalon.clock import SystemClock

    path = tmp_path / "escalon.keys"
    made = runner.invoke(app, ["keys", "init"])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert runner.invoke(app, ["keys", "init"]).exit_code == 1  # never over an existing file
    first = keys.read_file(path)
    database = Database(database_url)
    with database.write() as session:
        session.add(
            Webhook(
                name="ops",
                url="https://hooks.example.org/x",
                secret_sealed=first.seal("whsec-ops"),
                active=True,
                created_at=SystemClock().now_us(),
            )
        )

    short = runner.invoke(app, ["keys", "rotate", "--grace-days", "7"])
    rotated = runner.invoke(app, ["keys", "rotate"])
    status = runner.invoke(app, ["keys", "status"])
    early = runner.invoke(app, ["keys", "retire"])
    now = runner.invoke(app, ["keys", "retire", "--now"])

    assert short.exit_code == 1
    assert "longest link lifetime (90 days)" in short.output
    assert rotated.exit_code == 0, rotated.output
    assert "1 webhook secret(s) re-sealed" in rotated.output
    assert "signs" in status.output
    assert "verifies until" in status.output
    assert "1 sealed under the signing key, 0 under an older one" in status.output
    assert "no key to retire" in early.output
    assert now.exit_code == 0, now.output
    left = keys.read_file(path)
    assert len(left.keys) == 1
    with database.read() as session:
        sealed = session.scalars(select(Webhook.secret_sealed)).one()
    database.dispose()
    assert left.unseal(sealed) == "whsec-ops", "secrets were re-sealed before the old key went"
    actions = [action for action, _ in _actions(database_url)]
    assert "keys.rotated" in actions
    assert "keys.retired" in actions


def test_serve_refuses_a_key_file_others_can_read(database_url: str, tmp_path: Path) -> None:
    keys.load(get_settings())
    (tmp_path / "escalon.keys").chmod(0o644)

    result = runner.invoke(app, ["serve", "--port", "1"])

    assert result.exit_code == 1
    assert "chmod 600" in result.output


def test_users_sessions_lists_and_ends_dashboard_sessions(database_url: str) -> None:
    from escalon.auth import service as auth
    from escalon.auth import sessions
    from escalon.clock import SystemClock

    now = SystemClock().now_us()
    database = Database(database_url)
    with database.write() as session:
        user = auth.user_by_name(session, "bo")
        record, _token = auth.create_token(session, user=user, now=now)
        opened = [
            sessions.start(
                session,
                user_id=user.id,
                token_id=record.id,
                token_expires_at=None,
                now=now,
                lifetime_us=3_600_000_000,
            )[0].id
            for _ in range(3)
        ]
    database.dispose()

    listed = runner.invoke(app, ["users", "sessions", "bo"])
    one = runner.invoke(app, ["users", "sessions", "--end", str(opened[0])])
    rest = runner.invoke(app, ["users", "sessions", "bo", "--end-all"])
    after = runner.invoke(app, ["users", "sessions"])
    nobody = runner.invoke(app, ["users", "sessions", "--end-all"])

    assert listed.exit_code == 0, listed.output
    assert len(listed.output.strip().splitlines()) == 3
    assert f"session {opened[0]} ended" in one.output
    assert "2 session(s) of bo ended" in rest.output
    assert after.output.strip() == ""
    assert nobody.exit_code == 1
    assert [a for a, _ in _actions(database_url)].count("session.ended") == 2
