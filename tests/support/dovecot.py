"""A real dovecot IMAP server on loopback, for the IMAP polling tests.

`dovecot_server` (a fixture of tests/conftest.py: one per test session, so one per xdist worker)
writes a throwaway configuration into a fresh directory: IMAP only, on 127.0.0.1 and a free port, no TLS, cleartext logins allowed,
users in a passwd-file with plaintext passwords, a static userdb whose homes (Maildirs) live in
that directory, and every runtime path (base_dir, state_dir, log) there too. It starts
`dovecot -F -c CONFIG`, waits until the port answers, and stops it afterwards. `mailbox` hands each
test a user of its own (the passwd-file lists a stock of them from the start: dovecot re-reads it
when it changes, but at most once a second), so tests never see each other's mail.

Running as root (CI does), dovecot needs users to drop to: the `dovecot` and `dovenull` users
that the dovecot-imapd package creates run its internal and login processes, and the mail
processes run as `mail` (dovecot refuses to touch mail as uid 0 whatever `first_valid_uid` says),
so the directory is made traversable and the Maildirs belong to that user. The auth process runs
as root to read the passwd-file. As another user, everything runs as that user.

Without /usr/sbin/dovecot the tests are skipped, saying why; under CI=true they fail instead,
because CI installs dovecot and must not pass without having used it.
"""

from __future__ import annotations

import contextlib
import grp
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.support.network import free_port

DOVECOT = Path(os.environ.get("ESCALON_TEST_DOVECOT", "/usr/sbin/dovecot"))
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 15.0
USERS = 200  # written before the start; more are added on demand


def require_dovecot() -> None:
    """Skip (or, under CI, fail) when dovecot is not installed."""
    if DOVECOT.is_file() and os.access(DOVECOT, os.X_OK):
        return
    message = (
        f"dovecot is not installed at {DOVECOT} "
        "(apt-get install dovecot-imapd; the tests start their own instance)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the IMAP tests must run)")
    pytest.skip(message)


def dovecot_version() -> tuple[int, ...]:
    """The installed version, e.g. (2, 3, 19, 1) from `2.3.19.1 (9b53102964)`."""
    output = subprocess.run(
        [str(DOVECOT), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found = re.match(r"\s*(\d+(?:\.\d+)*)", output)
    if found is None:
        raise RuntimeError(f"cannot read the dovecot version from {output!r}")
    return tuple(int(part) for part in found[1].split("."))


@dataclass(frozen=True)
class Mailbox:
    """One user's mailbox on the test server, and a few things tests do to it over IMAP."""

    host: str
    port: int
    username: str
    password: str

    @contextlib.contextmanager
    def client(self, folder: str = "INBOX") -> Iterator[IMAPClient]:
        """A logged-in client with `folder` selected."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        try:
            client.login(self.username, self.password)
            client.select_folder(folder)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def deliver(self, message: EmailMessage | bytes, folder: str = "INBOX") -> int:
        """APPEND a message (unseen); its UID."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with self.client(folder) as client:
            answer = client.append(folder, raw)
        found = re.search(rb"APPENDUID \d+ (\d+)", answer)
        assert found is not None, answer
        return int(found[1])

    def flags(self, uid: int, folder: str = "INBOX") -> set[bytes]:
        """The flags of one message (an empty set when it is not in the folder)."""
        with self.client(folder) as client:
            data = client.get_flags([uid]).get(uid)
        return set(data or ())

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        """The UIDs of the folder's messages that match a search."""
        with self.client(folder) as client:
            return sorted(int(uid) for uid in client.search(criteria))

    def folders(self) -> set[str]:
        """The names of the user's folders."""
        with self.client() as client:
            return {name for _flags, _delimiter, name in client.list_folders()}


class Dovecot:
    """A dovecot instance in a directory of its own."""

    def __init__(self) -> None:
        self.version = dovecot_version()
        self.root = Path(tempfile.mkdtemp(prefix="escalon-dovecot-"))
        self.port = free_port()
        self.users = self.root / "users"
        self.log = self.root / "dovecot.log"
        self.config = self.root / "dovecot.conf"
        self.process: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count(1)
        self._mail_user = self._prepare()

    def _prepare(self) -> str:
        mail = self.root / "mail"
        mail.mkdir()
        self.users.write_text("".join(_user_line(n) for n in range(1, USERS + 1)))
        self.users.chmod(0o600)
        if os.geteuid() == 0:
            mail_user = next(name for name in ("mail", "nobody") if _user_exists(name))
            entry = pwd.getpwnam(mail_user)
            # The mail processes run as `mail_user`: they must reach their homes.
            self.root.chmod(0o711)
            os.chown(mail, entry.pw_uid, entry.pw_gid)
            return mail_user
        return pwd.getpwuid(os.geteuid()).pw_name

    def render(self) -> str:
        """The configuration file: dovecot 2.3's syntax, or 2.4's when that is installed."""
        root, mail_user = self.root, self._mail_user
        as_root = os.geteuid() == 0
        if as_root:
            internal = ("dovecot", "dovecot", "dovenull")
            # The auth process reads the passwd-file, which only root may read.
            auth_service = "service auth {\n  user = root\n}"
        else:
            internal = (mail_user, grp.getgrgid(os.getegid()).gr_name, mail_user)
            auth_service = ""
        common = f"""
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log}
ssl = no
auth_mechanisms = plain login
# Failed logins are part of the tests: answer them at once. Without the anvil-auth-penalty
# socket (mode 0: not created) there is no penalty delay that grows with each failure.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
default_internal_user = {internal[0]}
default_internal_group = {internal[1]}
default_login_user = {internal[2]}
first_valid_uid = 1
first_valid_gid = 1
mail_uid = {mail_user}
mail_gid = {pwd.getpwnam(mail_user).pw_gid}
{auth_service}
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        if self.version >= (2, 4):
            return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
auth_allow_cleartext = yes
mail_driver = maildir
mail_home = {root}/mail/%{{user}}
mail_path = ~
namespace inbox {{
  inbox = yes
}}
passdb passwd-file {{
  passwd_file_path = {self.users}
}}
userdb static {{
  fields {{
    home = {root}/mail/%{{user}}
  }}
}}
{common}"""
        return f"""protocols = imap
disable_plaintext_auth = no
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
}}
passdb {{
  driver = passwd-file
  args = username_format=%u {self.users}
}}
userdb {{
  driver = static
  args = home={root}/mail/%u
}}
{common}"""

    def start(self) -> None:
        self.config.write_text(self.render())
        self.process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise RuntimeError(f"dovecot exited at start:\n{output}{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"dovecot did not answer on port {self.port} in {START_TIMEOUT_SECONDS:g} s:\n"
            f"{self.log_text()}"
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_SECONDS)
        if process.stdout is not None:
            process.stdout.close()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def add_user(self) -> Mailbox:
        """A new user with an empty mailbox."""
        number = next(self._numbers)
        if number > USERS:  # past the stock: add one and wait for dovecot's once-a-second look
            with self.users.open("a") as users:
                users.write(_user_line(number))
            time.sleep(1.1)
        username, password = _credentials(number)
        return Mailbox("127.0.0.1", self.port, username, password)


def _credentials(number: int) -> tuple[str, str]:
    return f"user{number}", f"secret-{number}"


def _user_line(number: int) -> str:
    username, password = _credentials(number)
    return f"{username}:{{PLAIN}}{password}::::::\n"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
