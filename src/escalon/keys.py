"""The installation's secret keys, kept outside the database.

A copy of the database (a backup, a dump, a stolen disk image) must not be enough to sign a
customer's link, open a dashboard session or read a webhook's secret, so every key lives
elsewhere: in a key file (mode 0600, made on first run next to the SQLite file, or at
`ESCALON_KEY_FILE`) or in the `ESCALON_KEYS` environment variable.

The file holds one or more master keys, newest first. The newest signs; an older one still
verifies until its `verify_until` instant (the grace period after `escalon keys rotate`, at least
as long as the longest link lifetime), and opens sealed secrets until `escalon keys retire`
removes it (which first re-seals everything under the newest key). Each use gets its own key,
derived from a master key with HKDF: customer links, dashboard CSRF tokens and secret sealing
(Fernet) never share one.

This is a kernel module (beside `config`): it imports nothing of Escalon's domains, so the
channels, the notifications and the web layer may all use it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from escalon.config import Settings, get_settings

log = logging.getLogger("escalon.keys")

FORMAT = "escalon-keys/1"
KEY_BYTES = 32
FILE_SUFFIX = ".keys"
US_PER_DAY = 86_400_000_000
Purpose = Literal["customer-links", "dashboard-csrf", "secret-sealing"]
LINKS: Purpose = "customer-links"
CSRF: Purpose = "dashboard-csrf"
SEALING: Purpose = "secret-sealing"


class KeysUnavailable(RuntimeError):
    """The keys cannot be read, made or trusted; the message says what the operator should do."""


class SecretUnreadable(ValueError):
    """A sealed secret does not open with any key this installation still holds."""


# -- keys ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _derive(secret: bytes, purpose: str) -> bytes:
    # HKDF's "info" separates uses: one master key, unrelated keys for each purpose.
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"escalon/{purpose}".encode()
    ).derive(secret)


@dataclass(frozen=True, slots=True)
class MasterKey:
    """One master key: its secret bytes and where it stands in the rotation."""

    secret: bytes
    created_at: int | None = None  # µs since 1970; unknown for keys given in the environment
    replaced_at: int | None = None  # when a newer key took over signing
    verify_until: int | None = None  # links and CSRF tokens it signed are refused after this

    @property
    def fingerprint(self) -> str:
        """A short name for the key that reveals nothing of it (for `escalon keys status`)."""
        return _derive(self.secret, "key-fingerprint")[:6].hex()

    def derive(self, purpose: Purpose) -> bytes:
        """The 32-byte key of one purpose."""
        return _derive(self.secret, purpose)

    def verifies_at(self, now_us: int) -> bool:
        """Whether what it signed is still accepted at `now_us`."""
        return self.verify_until is None or now_us < self.verify_until


def new_master_key(now_us: int | None = None) -> MasterKey:
    """A fresh random master key."""
    return MasterKey(secrets.token_bytes(KEY_BYTES), created_at=now_us)


def encode_secret(secret: bytes) -> str:
    """How a key's bytes are written (file and environment): URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


def decode_secret(text: str) -> bytes:
    """A key's bytes from its written form; ValueError when it is not a usable key."""
    text = text.strip()
    try:
        secret = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ValueError("a key is URL-safe base64 (as `escalon keys generate` prints)") from None
    if len(secret) < KEY_BYTES:
        raise ValueError(f"a key must hold at least {KEY_BYTES} random bytes")
    return secret


class Keyring:
    """The master keys of this installation, the signing one first."""

    def __init__(self, keys: Sequence[MasterKey], *, source: str) -> None:
        if not keys:
            raise KeysUnavailable(f"{source} holds no key")
        self.keys = tuple(keys)
        self.source = source
        fernets = [Fernet(base64.urlsafe_b64encode(key.derive(SEALING))) for key in self.keys]
        self._sealer = MultiFernet(fernets)
        self._newest = fernets[0]

    @classmethod
    def generate(cls, *, source: str = "a generated key") -> Keyring:
        """A keyring of one fresh key that lives as long as the process (tests, in-memory DBs)."""
        return cls([new_master_key()], source=source)

    @property
    def signing(self) -> MasterKey:
        """The key that signs everything new."""
        return self.keys[0]

    def verifying(self, now_us: int) -> list[MasterKey]:
        """The keys whose signatures are accepted at `now_us`, the signing key first."""
        return [self.signing, *(key for key in self.keys[1:] if key.verifies_at(now_us))]

    def signing_key(self, purpose: Purpose) -> bytes:
        """The key that signs for `purpose` now."""
        return self.signing.derive(purpose)

    def verifying_keys(self, purpose: Purpose, now_us: int) -> list[bytes]:
        """The keys accepted for `purpose` at `now_us`, the signing one first."""
        return [key.derive(purpose) for key in self.verifying(now_us)]

    # Sealing: Fernet (AES-128-CBC and HMAC-SHA256, from `cryptography`); every key opens, the
    # newest seals, so a rotation never leaves a secret unreadable.
    def seal(self, text: str) -> str:
        """`text` encrypted and authenticated under the newest key."""
        return self._newest.encrypt(text.encode()).decode()

    def unseal(self, sealed: str) -> str:
        """The text of a sealed secret; SecretUnreadable when no key held opens it."""
        try:
            return self._sealer.decrypt(sealed.encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise SecretUnreadable(
                f"a sealed secret does not open with the keys of {self.source}"
            ) from None

    def reseal(self, sealed: str) -> str:
        """The same secret sealed under the newest key (unchanged when it already is)."""
        try:
            self._newest.decrypt(sealed.encode())
            return sealed
        except InvalidToken:
            pass
        try:
            return self._sealer.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                f"a sealed secret does not open with the keys of {self.source}"
            ) from None


# -- the key file --------------------------------------------------------------------------------


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _us(text: Any, where: str) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise KeysUnavailable(f"{where}: {text!r} is not an ISO 8601 instant") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def _document(keys: Sequence[MasterKey]) -> str:
    entries = []
    for key in keys:
        entry: dict[str, Any] = {"secret": encode_secret(key.secret)}
        for name in ("created_at", "replaced_at", "verify_until"):
            value = getattr(key, name)
            if value is not None:
                entry[name] = _iso(value)
        entries.append(entry)
    body = {
        "format": FORMAT,
        "note": "Escalon's keys: keep this file private (mode 0600) and out of backups of the "
        "database. Manage it with `escalon keys`.",
        "keys": entries,
    }
    return json.dumps(body, indent=2) + "\n"


def _parse(text: str, where: str) -> list[MasterKey]:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise KeysUnavailable(f"{where} is not a key file ({error})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise KeysUnavailable(f"{where} is not a key file of this release (format {FORMAT})")
    entries = body.get("keys")
    if not isinstance(entries, list) or not entries:
        raise KeysUnavailable(f"{where} holds no key")
    keys = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("secret"), str):
            raise KeysUnavailable(f"{where}: key {number} has no secret")
        try:
            secret = decode_secret(entry["secret"])
        except ValueError as error:
            raise KeysUnavailable(f"{where}: key {number}: {error}") from None
        keys.append(
            MasterKey(
                secret,
                created_at=_us(entry.get("created_at"), where),
                replaced_at=_us(entry.get("replaced_at"), where),
                verify_until=_us(entry.get("verify_until"), where),
            )
        )
    if keys[0].verify_until is not None:
        raise KeysUnavailable(f"{where}: the first key signs, so it cannot have verify_until")
    return keys


def check_private(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read or write."""
    if os.name != "posix":  # pragma: no cover - permissions are POSIX modes
        return
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise KeysUnavailable(f"the key file {path} is not a regular file")
    if mode & 0o077:
        raise KeysUnavailable(
            f"the key file {path} may be read or changed by other users "
            f"(mode {stat.S_IMODE(mode):04o}); make it private with `chmod 600 {path}`"
        )


def read_file(path: Path) -> Keyring:
    """The keyring of a key file, refused when others may read it."""
    try:
        check_private(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeysUnavailable(f"there is no key file at {path}") from None
    except OSError as error:
        raise KeysUnavailable(f"the key file {path} cannot be read: {error.strerror}") from None
    return Keyring(_parse(text, str(path)), source=str(path))


def _write_private(path: Path, text: str, *, replace_existing: bool) -> bool:
    """Write `text` to `path` with mode 0600, atomically; False when it exists and must not be
    replaced (another process made it first)."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace_existing:
            os.replace(temporary, path)
            return True
        try:
            # A hard link fails when the name exists: of two processes making the first key at
            # once, one wins and the other reads the winner's complete file.
            os.link(temporary, path)
            return True
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def create_file(path: Path, *, now_us: int) -> Keyring:
    """Make a key file with one fresh key (mode 0600); KeysUnavailable when one exists."""
    if not _write_private(path, _document([new_master_key(now_us)]), replace_existing=False):
        raise KeysUnavailable(f"a key file already exists at {path}")
    return read_file(path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the key file while it is read and rewritten."""
    import fcntl

    lock = path.with_name(path.name + ".lock")
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def rotate_file(path: Path, *, now_us: int, grace_us: int) -> Keyring:
    """Add a new signing key; the one it replaces verifies for `grace_us` more."""
    with _locked(path):
        keyring = read_file(path)
        old = keyring.signing
        keys = [
            new_master_key(now_us),
            replace(old, replaced_at=now_us, verify_until=now_us + grace_us),
            *keyring.keys[1:],
        ]
        _write_private(path, _document(keys), replace_existing=True)
    return read_file(path)


def retire_file(path: Path, *, now_us: int, all_old: bool = False) -> list[MasterKey]:
    """Remove the old keys whose grace period is over (`all_old`: every old key, at once)."""
    with _locked(path):
        keyring = read_file(path)
        kept = [keyring.signing]
        gone = []
        for key in keyring.keys[1:]:
            if all_old or not key.verifies_at(now_us):
                gone.append(key)
            else:
                kept.append(key)
        if gone:
            _write_private(path, _document(kept), replace_existing=True)
    return gone


# -- where this installation's keys come from ----------------------------------------------------


def default_key_file(database_url: str) -> Path | None:
    """The key file beside a SQLite database file (None for PostgreSQL or an in-memory DB)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    beside = database.with_name(database.stem + FILE_SUFFIX)
    return beside if beside != database else database.with_name(database.name + FILE_SUFFIX)


def _in_memory(database_url: str) -> bool:
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def key_file(settings: Settings) -> Path | None:
    """The key file these settings name or imply (None when keys come from the environment)."""
    if settings.keys is not None:
        return None
    if settings.key_file is not None:
        return settings.key_file
    return default_key_file(settings.database_url)


def from_environment(value: str) -> Keyring:
    """The keyring of `ESCALON_KEYS`: keys separated by commas, the one that signs first."""
    keys = []
    for number, part in enumerate((p for p in value.split(",") if p.strip()), 1):
        try:
            keys.append(MasterKey(decode_secret(part)))
        except ValueError as error:
            raise KeysUnavailable(f"ESCALON_KEYS: key {number}: {error}") from None
    return Keyring(keys, source="ESCALON_KEYS")


def load(settings: Settings, *, now_us: int | None = None) -> Keyring:
    """This installation's keys: from `ESCALON_KEYS`, else the key file (made on first run next
    to a SQLite file or at ESCALON_KEY_FILE; refused when others may read it)."""
    if settings.keys is not None:
        return from_environment(settings.keys.get_secret_value())
    path = key_file(settings)
    if path is None:
        if _in_memory(settings.database_url):
            # The database lives as long as this process, and so may its keys.
            return Keyring.generate(source="a key made for this in-memory database")
        raise KeysUnavailable(
            "keys live outside the database: with PostgreSQL set ESCALON_KEY_FILE to a key file "
            "every host shares (make it once with `escalon keys init`), or ESCALON_KEYS"
        )
    if path.exists():
        return read_file(path)
    if settings.key_file is not None and not _sqlite_file(settings.database_url):
        # Hosts sharing a PostgreSQL must share one key: making one here could split them.
        raise KeysUnavailable(
            f"there is no key file at {path}: make it once with `escalon keys init` and copy it "
            "to every host (mode 0600)"
        )
    if now_us is None:
        import time

        now_us = time.time_ns() // 1000
    if _write_private(path, _document([new_master_key(now_us)]), replace_existing=False):
        log.info("made a new key file at %s (mode 0600): keep it safe, apart from backups", path)
    return read_file(path)


def _sqlite_file(database_url: str) -> bool:
    return default_key_file(database_url) is not None


# -- the keys of this process --------------------------------------------------------------------


class _Installed:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keyring: Keyring | None = None


_INSTALLED = _Installed()


def install(keyring: Keyring) -> Keyring:
    """Make `keyring` the keys of this process (at start-up, from the settings)."""
    with _INSTALLED.lock:
        _INSTALLED.keyring = keyring
    return keyring


def current() -> Keyring:
    """The keys of this process: those installed at start-up, else loaded from the settings."""
    with _INSTALLED.lock:
        found = _INSTALLED.keyring
    if found is not None:
        return found
    keyring = load(get_settings())
    with _INSTALLED.lock:
        if _INSTALLED.keyring is None:
            _INSTALLED.keyring = keyring
        return _INSTALLED.keyring


def forget() -> None:
    """Drop the keys of this process (the next use loads them again)."""
    with _INSTALLED.lock:
        _INSTALLED.keyring = None
