"""IMAP polling (`escalon mail-poll`): fetch a mailbox's unseen mail into Escalon.

Each poll logs in, selects the folder, searches UNSEEN and takes the messages oldest first: it
reads each with BODY.PEEK[] (which leaves it unseen), hands the bytes to `receive_email`, and only
once that has returned marks the message \\Seen (and moves it to the processed folder, when one is
configured). So the mailbox itself is the queue:

- a database error leaves the message unseen and the next poll takes it again: nothing dropped;
- a stored message ends in a case or, held, in the review list (no active policy, its sender over
  the per-sender limit, a failure): it is marked \\Seen either way, since Escalon keeps it;
- a message above the size limit is refused (nothing is stored), marked \\Seen and \\Flagged (and
  the `$EscalonRefused` keyword, where the server allows keywords) so that a person sees it and it
  is not fetched forever; refused mail stays in the folder rather than moving on;
- a failure of the server or the connection raises `MailboxError`, which names the server and the
  step that failed; `poll_forever` logs it and tries again at the next interval.

At-least-once: if the connection drops after a mail was stored but before it was marked, the next
poll stores it again.
"""

from __future__ import annotations

import contextlib
import logging
import ssl as ssl_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from escalon.channels.mail import (
    DEFAULT_INTAKE,
    Intake,
    MailLimits,
    MailTooLarge,
    Received,
    receive_email,
)
from escalon.clock import Clock
from escalon.database import Database

log = logging.getLogger(__name__)

SOURCE = "imap"
REFUSED_KEYWORD = b"$EscalonRefused"
_SEEN = b"\\Seen"
_FLAGGED = b"\\Flagged"
_DELETED = b"\\Deleted"
# After this many mails in a row that could not be stored (the database is likely down), the
# rest of the batch is left unseen for the next poll instead of being tried one by one.
_FAILURES_IN_A_ROW = 3


class MailboxError(RuntimeError):
    """The IMAP server could not be reached, refused the login, or failed during a poll."""

    def __init__(self, message: str, report: PollReport | None = None) -> None:
        super().__init__(message)
        self.report = report  # what the poll had done before it failed, if it got that far


class StopEvent(Protocol):
    """What `poll_forever` waits on between polls (a `threading.Event`)."""

    def is_set(self) -> bool:
        """Whether the loop should stop."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until set or until the timeout; whether it is set."""
        ...


@dataclass(frozen=True, slots=True)
class PolledMail:
    """A message taken into Escalon (and marked \\Seen)."""

    uid: int
    received: Received


@dataclass(frozen=True, slots=True)
class RefusedMail:
    """A message above the size limit: not stored; marked \\Seen and flagged."""

    uid: int
    size: int
    reason: str


@dataclass(frozen=True, slots=True)
class FailedMail:
    """A message that could not be stored: left unseen, so the next poll tries it again."""

    uid: int
    error: str


@dataclass(slots=True)
class PollReport:
    """What one poll did."""

    folder: str
    started_at: int
    received: list[PolledMail] = field(default_factory=list)
    refused: list[RefusedMail] = field(default_factory=list)
    failed: list[FailedMail] = field(default_factory=list)
    left: int = 0  # unseen messages not tried after repeated failures (the next poll will)

    @property
    def unseen(self) -> int:
        """How many unseen messages the poll found."""
        return len(self.received) + len(self.refused) + len(self.failed) + self.left

    def summary(self) -> str:
        """One line for people and logs."""
        if not self.unseen:
            return f"{self.folder}: no new mail"
        parts = []
        if self.received:
            outcomes: dict[str, int] = {}
            for polled in self.received:
                outcomes[polled.received.outcome] = outcomes.get(polled.received.outcome, 0) + 1
            detail = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
            parts.append(f"{len(self.received)} received ({detail})")
        if self.refused:
            uids = ", ".join(str(refused.uid) for refused in self.refused)
            parts.append(f"{len(self.refused)} refused as too large (UID {uids}; flagged)")
        if self.failed:
            first = self.failed[0]
            parts.append(
                f"{len(self.failed)} could not be stored and stay unseen for the next poll "
                f"(UID {first.uid}: {first.error})"
            )
        if self.left:
            parts.append(f"{self.left} not tried, left for the next poll")
        return f"{self.folder}: " + "; ".join(parts)


def poll_once(
    db: Database,
    *,
    host: str,
    port: int,
    username: str,
    password: str,
    folder: str = "INBOX",
    ssl: bool = False,
    starttls: bool = False,
    clock: Clock,
    intake: Intake = DEFAULT_INTAKE,
    processed_folder: str | None = None,
    timeout_seconds: float = 30.0,
    ssl_context: ssl_module.SSLContext | None = None,
) -> PollReport:
    """Take the folder's unseen mail into Escalon once; see the module for what happens to each.

    `ssl` speaks IMAP over TLS from the first byte (port 993); `starttls` upgrades a plain
    connection (port 143) and refuses to log in without it. Raises `MailboxError` when the
    server cannot be reached, refuses the login or fails; the report of what had been done by
    then is on the error. `intake` says how each mail is taken.
    """
    if ssl and starttls:
        raise ValueError("choose either ssl (IMAP over TLS) or starttls, not both")
    poll = _Poll(db, folder=folder, clock=clock, intake=intake, processed_folder=processed_folder)
    server = f"{host}:{port}"
    try:
        client = _connect(host, port, ssl, starttls, timeout_seconds, ssl_context)
    except (OSError, IMAPClientError) as error:
        raise MailboxError(
            f"cannot connect to the IMAP server {server}: {_reason(error)}"
        ) from error
    try:
        poll.step = f"log in as {username!r}"
        client.login(username, password)
        poll.run(client)
    except LoginError as error:
        raise MailboxError(
            f"the IMAP server {server} refused the login of {username!r}: {_reason(error)}",
            poll.report,
        ) from error
    except (OSError, IMAPClientError) as error:
        raise MailboxError(
            f"the IMAP server {server} failed to {poll.step}: {_reason(error)}", poll.report
        ) from error
    finally:
        _logout(client)
    return poll.report


def poll_forever(
    poll: Callable[[], PollReport],
    *,
    interval_seconds: float,
    stop_event: StopEvent,
    after_poll: Callable[[], object] | None = None,
) -> int:
    """Run `poll` (`poll_once` bound to its mailbox, as by `functools.partial`) every
    `interval_seconds` until `stop_event` is set; returns how many polls ran.

    A poll that fails is logged and the next one tries again: the mail waits on the server.
    `after_poll` runs after each poll (the CLI retries held mail whose cause is gone there).
    """
    polls = 0
    while not stop_event.is_set():
        polls += 1
        try:
            report = poll()
        except MailboxError as error:
            log.error("%s; trying again in %g s", error, interval_seconds)
        except Exception:  # a daemon keeps polling; the mail stays on the server meanwhile
            log.exception("the IMAP poll failed; trying again in %g s", interval_seconds)
        else:
            if report.failed or report.left:
                log.warning("%s", report.summary())
            elif report.unseen:
                log.info("%s", report.summary())
        if after_poll is not None:
            after_poll()
        stop_event.wait(interval_seconds)
    return polls


class _Poll:
    """One poll's state: the step under way (for error messages) and the report so far."""

    def __init__(
        self,
        db: Database,
        *,
        folder: str,
        clock: Clock,
        intake: Intake,
        processed_folder: str | None,
    ) -> None:
        self.db = db
        self.folder = folder
        self.clock = clock
        self.intake = intake
        self.processed_folder = processed_folder
        self.step = "connect"
        self.report = PollReport(folder=folder, started_at=clock.now_us())
        self.keywords = False

    def run(self, client: IMAPClient) -> None:
        self.step = f"select the folder {self.folder!r}"
        selected = client.select_folder(self.folder)
        # Keywords of our own only where the folder keeps them (PERMANENTFLAGS has \*).
        self.keywords = b"\\*" in selected.get(b"PERMANENTFLAGS", ())
        if self.processed_folder is not None:
            self.step = f"create the folder {self.processed_folder!r}"
            if not client.folder_exists(self.processed_folder):
                client.create_folder(self.processed_folder)
                log.info("created the IMAP folder %r for processed mail", self.processed_folder)
        self.step = "search the unseen messages"
        uids = sorted(int(uid) for uid in client.search(["UNSEEN"]))
        if not uids:
            return
        self.step = "read the sizes of the unseen messages"
        sizes = {
            int(uid): int(data.get(b"RFC822.SIZE", 0))
            for uid, data in client.fetch(uids, [b"RFC822.SIZE"]).items()
        }
        failures_in_a_row = 0
        for index, uid in enumerate(uids):
            if failures_in_a_row >= _FAILURES_IN_A_ROW:
                self.report.left = len(uids) - index
                log.warning(
                    "%d mails in a row could not be stored; leaving %d for the next poll",
                    failures_in_a_row,
                    self.report.left,
                )
                return
            if uid not in sizes:
                continue  # expunged by someone else since the search
            if self._take(client, uid, sizes[uid]):
                failures_in_a_row = 0
            else:
                failures_in_a_row += 1

    def _take(self, client: IMAPClient, uid: int, size: int) -> bool:
        """Store one message and mark it; False when it could not be stored."""
        if size > self.intake.limits.message_bytes:
            self._refuse(client, uid, size, _too_large(size, self.intake.limits))
            return True
        self.step = f"fetch message UID {uid}"
        fetched = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid)
        if fetched is None:
            return True  # expunged by someone else meanwhile
        raw = _body(fetched)
        try:
            received = receive_email(
                self.db, raw, now=self.clock.now_us(), source=SOURCE, intake=self.intake
            )
        except MailTooLarge as error:
            self._refuse(client, uid, len(raw), str(error))
            return True
        except Exception as error:  # left unseen: the next poll tries again
            # The kind of error and its first line only: a database error goes on to quote the
            # statement's parameters, which are the mail itself.
            reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            log.error("IMAP message UID %d in %r could not be stored: %s", uid, self.folder, reason)
            self.report.failed.append(FailedMail(uid, reason[:500]))
            return False
        self.report.received.append(PolledMail(uid, received))
        stored = _stored_as(received)
        self.step = f"mark message UID {uid} seen (it is stored {stored})"
        client.add_flags([uid], [_SEEN])
        if self.processed_folder is not None:
            self.step = (
                f"move message UID {uid} to {self.processed_folder!r} (it is stored {stored})"
            )
            _move(client, uid, self.processed_folder)
        return True

    def _refuse(self, client: IMAPClient, uid: int, size: int, reason: str) -> None:
        log.warning("IMAP message UID %d in %r refused: %s", uid, self.folder, reason)
        self.step = f"flag the refused message UID {uid}"
        flags = [_SEEN, _FLAGGED, REFUSED_KEYWORD] if self.keywords else [_SEEN, _FLAGGED]
        client.add_flags([uid], flags)
        self.report.refused.append(RefusedMail(uid, size, reason))


def _connect(
    host: str,
    port: int,
    use_ssl: bool,
    starttls: bool,
    timeout_seconds: float,
    context: ssl_module.SSLContext | None,
) -> IMAPClient:
    if use_ssl:
        return IMAPClient(
            host,
            port=port,
            ssl=True,
            ssl_context=context or ssl_module.create_default_context(),
            timeout=timeout_seconds,
        )
    client = IMAPClient(host, port=port, ssl=False, timeout=timeout_seconds)
    if starttls:
        try:
            client.starttls(context or ssl_module.create_default_context())
        except BaseException:
            _logout(client)
            raise
    return client


def _move(client: IMAPClient, uid: int, folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    if client.has_capability("UIDPLUS"):
        # Only this message is expunged; a plain EXPUNGE would remove whatever else is \Deleted.
        client.delete_messages([uid])
        client.uid_expunge([uid])
    # Without UIDPLUS the original stays behind, marked \Seen: a copy rather than a move.


def _body(fetched: dict[bytes, Any]) -> bytes:
    body = fetched.get(b"BODY[]")
    if body is None:  # some servers answer with the RFC822 name
        body = fetched.get(b"RFC822", b"")
    return body if isinstance(body, bytes) else str(body).encode("utf-8", "surrogateescape")


def _stored_as(received: Received) -> str:
    if received.case_id is not None:
        return f"as case {received.case_id}"
    return f"as inbound mail {received.inbound_id}, held for review"


def _too_large(size: int, limits: MailLimits) -> str:
    # The same words as receive_email's refusal.
    return f"the message is {size:,} bytes; the limit is {limits.message_bytes:,}"


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        with contextlib.suppress(OSError):
            client.shutdown()


def _reason(error: BaseException) -> str:
    """The server's words (imaplib hands them over as bytes) or the socket's."""
    parts: Sequence[Any] = error.args
    if isinstance(error, IMAPClientError) and parts:
        text = parts[0]
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        text = str(text)
        # LoginError wraps the server's bytes in their repr: b'[AUTHENTICATIONFAILED] ...'
        if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
            text = text[2:-1]
        return text.strip() or type(error).__name__
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error).strip() or type(error).__name__
