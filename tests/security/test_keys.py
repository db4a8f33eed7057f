"""The keys kept outside the database: a private key file made on first run, refused when others
may read it; rotation with a grace period; separate keys per purpose; webhook secrets sealed
(also those stored in plaintext before this release)."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from escalon import keys
from escalon.api.app import create_app
from escalon.channels import links
from escalon.config import Settings
from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.web import session as ui
from tests.support.postgres import scratch_database

DAY_US = 86_400_000_000
NOW_US = 1_800_000_000_000_000
NOW_S = NOW_US / 1_000_000


def _file_settings(tmp_path: Path, **fields: object) -> Settings:
    """Settings for a SQLite file, keys from the key file (not the tests' ESCALON_KEYS)."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'escalon.db'}", keys=None, **fields)  # type: ignore[arg-type]


def test_the_first_run_makes_a_private_key_file_beside_the_sqlite_file(tmp_path: Path) -> None:
    keyring = keys.load(_file_settings(tmp_path))

    path = tmp_path / "escalon.keys"
    assert keyring.source == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.load(_file_settings(tmp_path)).signing == keyring.signing  # kept, not remade


def test_a_configured_key_file_is_made_there(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "escalon.keys"

    keys.load(_file_settings(tmp_path, key_file=path))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (tmp_path / "escalon.keys").exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_refused_and_the_api_does_not_start(
    tmp_path: Path, mode: int
) -> None:
    settings = _file_settings(tmp_path)
    keys.load(settings)
    (tmp_path / "escalon.keys").chmod(mode)

    with pytest.raises(keys.KeysUnavailable, match="chmod 600"):
        keys.load(settings)
    with pytest.raises(keys.KeysUnavailable, match="chmod 600"):
        create_app(settings=settings)


def test_with_postgresql_the_key_file_is_never_made_implicitly(tmp_path: Path) -> None:
    url = "postgresql+psycopg://escalon@127.0.0.1/escalon"
    path = tmp_path / "shared.keys"

    with pytest.raises(keys.KeysUnavailable, match="ESCALON_KEY_FILE"):
        keys.load(Settings(database_url=url, keys=None))
    with pytest.raises(keys.KeysUnavailable, match="escalon keys init"):
        keys.load(Settings(database_url=url, keys=None, key_file=path))
    assert not path.exists()

    made = keys.create_file(path, now_us=NOW_US)  # `escalon keys init`, then copied to each host
    assert keys.load(Settings(database_url=url, keys=None, key_file=path)).signing == made.signing


def test_processes_starting_at_once_share_one_new_key(tmp_path: Path) -> None:
    settings = _file_settings(tmp_path)
    found: list[keys.Keyring] = []
    threads = [threading.Thread(target=lambda: found.append(keys.load(settings))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({ring.signing.secret for ring in found}) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".escalon.keys")]


def test_keys_from_the_environment_sign_with_the_first_and_verify_with_all() -> None:
    old, new = keys.new_master_key(), keys.new_master_key()
    before = keys.Keyring([old], source="before")
    after = keys.from_environment(
        f"{keys.encode_secret(new.secret)}, {keys.encode_secret(old.secret)}"
    )
    token = links.status_token(4, now=NOW_S, keyring=before)

    assert after.signing.secret == new.secret
    assert links.read_token(token, purpose="status", max_age_seconds=60, now=NOW_S, keyring=after)
    with pytest.raises(keys.KeysUnavailable, match="at least 32"):
        keys.from_environment("c2hvcnQ")


def test_each_purpose_has_its_own_key() -> None:
    keyring = keys.Keyring.generate()

    derived = {keyring.signing_key(purpose) for purpose in (keys.LINKS, keys.CSRF, keys.SEALING)}

    assert len(derived) == 3
    assert keyring.signing.secret not in derived


def test_after_a_rotation_old_links_open_during_the_grace_period_and_not_after(
    tmp_path: Path,
) -> None:
    path = tmp_path / "escalon.keys"
    before = keys.create_file(path, now_us=NOW_US)
    old_link = links.status_token(9, now=NOW_S, keyring=before)

    after = keys.rotate_file(path, now_us=NOW_US, grace_us=90 * DAY_US)
    new_link = links.status_token(9, now=NOW_S, keyring=after)
    lifetime = 365 * 86_400  # longer than the grace period, to see the key's end, not the link's

    def opens(token: str, days: float, keyring: keys.Keyring = after) -> bool:
        try:
            links.read_token(
                token,
                purpose="status",
                max_age_seconds=lifetime,
                now=NOW_S + days * 86_400,
                keyring=keyring,
            )
        except links.LinkInvalid:
            return False
        return True

    assert after.signing.secret != before.signing.secret
    assert opens(old_link, 89.9)
    assert not opens(old_link, 90.1)
    assert opens(new_link, 90.1)
    assert not opens(new_link, 0, keyring=before), "new links are signed with the new key"


def test_csrf_tokens_of_the_old_key_pass_only_during_the_grace_period(tmp_path: Path) -> None:
    path = tmp_path / "escalon.keys"
    before = keys.create_file(path, now_us=NOW_US)
    token = ui.csrf_token("nonce", keyring=before)

    after = keys.rotate_file(path, now_us=NOW_US, grace_us=DAY_US)

    assert ui.csrf_ok("nonce", token, now=NOW_US + DAY_US - 1, keyring=after)
    assert not ui.csrf_ok("nonce", token, now=NOW_US + DAY_US, keyring=after)
    assert not ui.csrf_ok("other", token, now=NOW_US, keyring=after)


def test_retiring_removes_only_keys_past_their_grace_period(tmp_path: Path) -> None:
    path = tmp_path / "escalon.keys"
    keys.create_file(path, now_us=NOW_US)
    keys.rotate_file(path, now_us=NOW_US, grace_us=10 * DAY_US)
    keys.rotate_file(path, now_us=NOW_US + 5 * DAY_US, grace_us=10 * DAY_US)

    gone = keys.retire_file(path, now_us=NOW_US + 11 * DAY_US)
    left = keys.read_file(path)

    assert len(gone) == 1
    assert len(left.keys) == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(keys.retire_file(path, now_us=NOW_US + 11 * DAY_US, all_old=True)) == 1
    assert len(keys.read_file(path).keys) == 1


def test_a_sealed_secret_opens_with_every_key_held_and_reseals_under_the_newest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "escalon.keys"
    before = keys.create_file(path, now_us=NOW_US)
    sealed = before.seal("whsec-1")
    after = keys.rotate_file(path, now_us=NOW_US, grace_us=DAY_US)

    resealed = after.reseal(sealed)
    newest_only = keys.Keyring([after.signing], source="newest")

    assert "whsec-1" not in sealed
    assert after.unseal(sealed) == "whsec-1"
    assert newest_only.unseal(resealed) == "whsec-1"
    with pytest.raises(keys.SecretUnreadable):
        keys.Keyring.generate().unseal(sealed)


def test_the_upgrade_seals_webhook_secrets_stored_in_plaintext(database_kind: Database) -> None:
    database = database_kind
    upgrade(database, "0007")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO webhooks (name, url, secret, format, active, created_at) "
                "VALUES ('ops', 'https://hooks.example.org/x', 'plain-old-secret-123', "
                "'escalon', true, 1)"
            )
        )

    upgrade(database, "0008")

    columns = {c["name"] for c in inspect(database.engine).get_columns("webhooks")}
    assert "secret" not in columns
    with database.engine.connect() as connection:
        sealed = connection.execute(text("SELECT secret_sealed FROM webhooks")).scalar_one()
    assert "plain-old-secret-123" not in sealed
    assert keys.current().unseal(sealed) == "plain-old-secret-123"
    assert "instance_secrets" not in inspect(database.engine).get_table_names()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each kind, to migrate step by step."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'steps.db'}")
        yield database
        database.dispose()
        return
    with scratch_database("escalon_keys") as url:
        database = Database(url, pool_size=2)
        yield database
        database.dispose()
