"""`escalon keys`: the keys kept outside the database (make, show, rotate, retire)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from escalon.cli.service import audit, fail
from escalon.config import Settings, get_settings

app = typer.Typer(
    help="The keys that sign customer links and dashboard forms and seal webhook secrets, kept "
    "outside the database (ESCALON_KEY_FILE or ESCALON_KEYS).",
    no_args_is_help=True,
)
US_PER_DAY = 86_400_000_000


def _now() -> int:
    from escalon.clock import SystemClock

    return SystemClock().now_us()


def _file(settings: Settings) -> Path:
    """The key file these settings use; exit 1 when the keys come from the environment."""
    from escalon import keys

    if settings.keys is not None:
        fail(
            "the keys come from ESCALON_KEYS: rotate by putting a new key "
            "(`escalon keys generate`) first in the list and removing the old one after the "
            "grace period"
        )
    path = keys.key_file(settings)
    if path is None:
        fail("set ESCALON_KEY_FILE to the key file every host shares (PostgreSQL)")
    return path


def _when(us: int | None) -> str:
    from escalon.core.state import from_us

    return "-" if us is None else from_us(us).strftime("%Y-%m-%d %H:%M UTC")


def longest_link_days(settings: Settings) -> int:
    """The longest any customer link stays valid: the shortest grace period a rotation allows."""
    return max(settings.survey_link_days, settings.status_link_days)


@app.command("init")
def init(
    path: Annotated[
        Path | None, typer.Option(help="Where to make it (default: ESCALON_KEY_FILE).")
    ] = None,
) -> None:
    """Make a key file with one new key (mode 0600); copy it to every host that shares the
    database."""
    from escalon import keys

    settings = get_settings()
    target = path or _file(settings)
    try:
        keyring = keys.create_file(target, now_us=_now())
    except keys.KeysUnavailable as error:
        fail(str(error))
    Console(highlight=False).print(
        f"key file {target} made (mode 0600), key {keyring.signing.fingerprint}"
    )


@app.command("generate")
def generate() -> None:
    """Print a new random key, for ESCALON_KEYS (it is not stored anywhere)."""
    from escalon import keys

    print(keys.encode_secret(keys.new_master_key().secret))


@app.command("status")
def status() -> None:
    """Where the keys come from, which one signs, and until when the old ones verify."""
    from escalon import keys

    settings = get_settings()
    now = _now()
    try:
        keyring = keys.load(settings, now_us=now)
    except keys.KeysUnavailable as error:
        fail(str(error))
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"keys from {keyring.source}")
    for number, key in enumerate(keyring.keys):
        if number == 0:
            state = "signs"
        elif key.verifies_at(now):
            state = f"verifies until {_when(key.verify_until)}" if key.verify_until else "verifies"
        else:
            state = "grace period over: `escalon keys retire` removes it"
        out.print(
            f"  {key.fingerprint}  made {_when(key.created_at)}  {state}"
            + (f"  (replaced {_when(key.replaced_at)})" if key.replaced_at else "")
        )
    sealed = _count_sealed(settings, keyring)
    if sealed is not None:
        out.print(
            f"webhook secrets: {sealed[0]} sealed under the signing key, {sealed[1]} under an "
            "older one"
        )


def _count_sealed(settings: Settings, keyring: Any) -> tuple[int, int] | None:
    """(webhook secrets sealed under the signing key, under older ones); None without a DB."""
    from escalon import keys

    rows = _webhook_secrets(settings)
    if rows is None:
        return None
    newest = keys.Keyring([keyring.signing], source=keyring.source)
    current = 0
    for _id, sealed in rows:
        try:
            newest.unseal(sealed)
            current += 1
        except keys.SecretUnreadable:
            pass
    return current, len(rows) - current


def _webhook_secrets(settings: Settings) -> list[tuple[int, str]] | None:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from escalon.database import Database
    from escalon.database.migrate import current_revision, head_revision
    from escalon.notifications.models import Webhook

    database = Database(settings.database_url)
    try:
        if current_revision(database) != head_revision():
            return None
        with database.read() as session:
            return [(i, s) for i, s in session.execute(select(Webhook.id, Webhook.secret_sealed))]
    except SQLAlchemyError:
        return None
    finally:
        database.dispose()


def _reseal(settings: Settings, keyring: Any, *, required: bool) -> int | None:
    """Seal every webhook secret under the newest key; how many changed (None when the
    database is not reachable and not `required`). Exit 1 when a secret does not open (it stays
    as it was, and no key is retired)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from escalon import keys
    from escalon.database import Database
    from escalon.database.migrate import SchemaOutOfDate, require_current
    from escalon.notifications.models import Webhook

    database = Database(settings.database_url)
    try:
        require_current(database)
    except (SchemaOutOfDate, SQLAlchemyError) as error:
        database.dispose()
        if required:
            fail(f"webhook secrets cannot be re-sealed, so no key was retired: {error}")
        return None
    changed = 0
    try:
        with database.write() as session:
            for webhook in session.scalars(select(Webhook)):
                resealed = keyring.reseal(webhook.secret_sealed)
                if resealed != webhook.secret_sealed:
                    webhook.secret_sealed = resealed
                    changed += 1
    except keys.SecretUnreadable as error:
        fail(f"{error}; nothing was changed")
    finally:
        database.dispose()
    return changed


@app.command("rotate")
def rotate(
    grace_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Days the old key still verifies (default and least: the longest link lifetime).",
        ),
    ] = None,
) -> None:
    """Add a new signing key. Links and forms signed with the old key keep working for the
    grace period; webhook secrets are re-sealed under the new key. Restart every process (and
    copy the file to every host first) so all sign with the new key."""
    from escalon import keys

    settings = get_settings()
    path = _file(settings)
    least = longest_link_days(settings)
    days = least if grace_days is None else grace_days
    if days < least:
        fail(
            f"the grace period must cover the longest link lifetime ({least} days), or links "
            "already sent stop working early; to drop a compromised key at once, rotate and then "
            "run `escalon keys retire --now`"
        )
    now = _now()
    try:
        keyring = keys.rotate_file(path, now_us=now, grace_us=days * US_PER_DAY)
    except keys.KeysUnavailable as error:
        fail(str(error))
    resealed = _reseal(settings, keyring, required=False)
    old = keyring.keys[1]
    out = Console(highlight=False, soft_wrap=True)
    if resealed is None:
        out.print(
            "[yellow]the database is not reachable[/yellow]: webhook secrets stay sealed under "
            "the old key (which still opens them); `escalon keys retire` re-seals them later"
        )
    else:
        _audit_keys(
            settings,
            "keys.rotated",
            keyring,
            {"replaced": old.fingerprint, "verify_until": _when(old.verify_until)},
        )
    out.print(
        f"new signing key {keyring.signing.fingerprint}; {old.fingerprint} verifies until "
        f"{_when(old.verify_until)}; {resealed or 0} webhook secret(s) re-sealed. Copy {path} "
        "to every host and restart the API and workers."
    )


@app.command("retire")
def retire(
    now_: Annotated[
        bool,
        typer.Option(
            "--now",
            help="Retire every old key at once, grace period or not (after a key was exposed): "
            "links and forms signed with them stop working.",
        ),
    ] = False,
) -> None:
    """Remove old keys whose grace period is over, after re-sealing every webhook secret under
    the signing key."""
    from escalon import keys

    settings = get_settings()
    path = _file(settings)
    try:
        keyring = keys.read_file(path)
    except keys.KeysUnavailable as error:
        fail(str(error))
    resealed = _reseal(settings, keyring, required=True)
    try:
        gone = keys.retire_file(path, now_us=_now(), all_old=now_)
    except keys.KeysUnavailable as error:
        fail(str(error))
    out = Console(highlight=False, soft_wrap=True)
    if not gone:
        out.print("no key to retire (see `escalon keys status`)")
        return
    _audit_keys(
        settings,
        "keys.retired",
        keyring,
        {"retired": [key.fingerprint for key in gone], "early": now_},
    )
    out.print(
        f"retired {', '.join(key.fingerprint for key in gone)}; {resealed} webhook secret(s) "
        "re-sealed. Copy the file to every host and restart the API and workers."
    )


def _audit_keys(settings: Settings, action: str, keyring: Any, data: dict[str, Any]) -> None:
    """Record a change of the key file in the admin audit, under the signing key's name."""
    from escalon.database import Database

    database = Database(settings.database_url)
    with database.write() as session:
        audit(session, action, f"key:{keyring.signing.fingerprint}", data)
    database.dispose()
