"""E-mail intake: store the raw mail first, then thread it into its case, open one, or hold it.

Both inbound paths (the SMTP endpoint and IMAP polling) end here. Every delivery is committed as
it came, in a transaction of its own, before anything reads it. From then on the mail ends in a
case or in the review list staff see (`status = held`); nothing stored is dropped:

- The same mail delivered twice (a server or poller sending it again, at once or later) is taken
  once. A mail's fingerprint is its header and body, less the trace fields each delivery adds
  (Received, Delivered-To...); the delivery that takes the mail claims the fingerprint under a
  unique constraint, in the transaction that writes its case, and the others point at it. So a
  different mail that reuses a Message-ID is still taken.
- An unreadable mail opens a case tagged `needs-review` that points at the stored original.
- A mail that would open a case while no policy is active, that fails, or whose sender is over the
  per-sender limit is held for review; held mail is taken again by `retry` (no-policy mail also
  by `retry_waiting` once a policy is active).

Threading, in order: a Message-ID the mail answers (In-Reply-To, then References) that Escalon
sent or received on a case, else a "[#123]" case token in the subject. Either way the mail joins
the case only when its From address is the case's customer or a participant the case knows (and,
with `MailTrust.authserv_id` set, when the receiving server verified that From). Anything else
opens a case of its own under its sender's address, tagged for review, with a note naming the case
it claimed to answer. A closed case is never reopened by mail: its customer's reply opens a new
case that says which one it follows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases import acting, messages, opening
from escalon.cases.models import Case
from escalon.cases.schemas import CaseCreate, CustomerIn, MessageIn
from escalon.channels import participants, threads
from escalon.channels.email import (
    ParsedEmail,
    UnreadableEmail,
    normalise_address,
    parse_email,
)
from escalon.channels.intake import first_message
from escalon.channels.mail_identity import content_fingerprint, sender_verified
from escalon.channels.models import Attachment, InboundEmail
from escalon.config import Settings
from escalon.core.signals import TextAnalyzer
from escalon.database import Database
from escalon.database.base import table_of
from escalon.errors import Conflict, NotFound
from escalon.notifications.models import OutboxMessage
from escalon.policies.models import PolicyVersion

log = logging.getLogger(__name__)

US = 1_000_000
EMAIL = "email"  # the case channel, and the thread references of Message-IDs
REVIEW_TAG = "needs-review"
INTAKE_ACTOR = acting.Actor(None, "mail-intake", "integration")
_BODY_LIMIT = 100_000  # what a message body may hold (the API's limit)
# A delivery still `received` after this long was interrupted (its process died mid-way).
INTERRUPTED_US = 5 * 60 * US
# Why a held mail is not in a case.
HOLD_REASONS = {
    "no_policy": "no policy is active, so the mail cannot open a case",
    "failed": "taking the mail into a case failed",
    "sender_limit": "its sender is over the per-sender limit",
    "staff_reply": "it answers a mail Escalon sent to staff about no case (a weekly review): "
    "held rather than opened as a customer's case",
}


@dataclass(frozen=True, slots=True)
class MailLimits:
    """How large a mail and each attachment may be."""

    message_bytes: int = 25 * 1024 * 1024
    attachment_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MailTrust:
    """Whom a mail's From is believed to be, and which addresses are Escalon's own.

    `authserv_id` names the receiving mail server whose Authentication-Results count: when set,
    a mail joins an existing case only if that server found its From verified. `own` are
    addresses that are never made participants (the support address and the sender of replies).
    """

    authserv_id: str | None = None
    own: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SenderLimit:
    """At most `count` mails from one sender in any window of `window_us` (0: no limit)."""

    count: int = 0
    window_us: int = 3600 * US


@dataclass(frozen=True, slots=True)
class Received:
    """What became of a mail: its stored original, its case and message, and how it got there."""

    inbound_id: int
    case_id: int | None
    message_row_id: int | None
    # opened, threaded, review (an unreadable mail's case), duplicate (taken before by another
    # delivery: nothing new written), held (in the review list), received (stored; taking it
    # was interrupted: in the review list as well)
    outcome: str
    note: str = ""

    def answer(self) -> str:
        """What the SMTP endpoint tells the sending server (always a success: it is stored)."""
        if self.case_id is not None:
            return f"250 2.0.0 Stored as case {self.case_id} ({self.outcome})"
        return f"250 2.0.0 Stored as inbound mail {self.inbound_id}, held for review"


# The defaults: From believed as delivered, and no per-sender limit.
TRUST_FROM = MailTrust()
NO_SENDER_LIMIT = SenderLimit()


class MailTooLarge(ValueError):
    """A mail above the size limit: refused before anything is stored."""


@dataclass(frozen=True, slots=True)
class Intake:
    """Everything that decides how mail is taken, besides the mail itself."""

    analyzer: TextAnalyzer | None = None
    limits: MailLimits = MailLimits()
    trust: MailTrust = MailTrust()
    sender_limit: SenderLimit = SenderLimit()


# No analyzer, the default limits, From believed as delivered, no per-sender limit.
DEFAULT_INTAKE = Intake()


@dataclass(slots=True)
class _Job:
    """One stored delivery on its way into a case."""

    inbound_id: int
    fingerprint: str
    parsed: ParsedEmail | None
    problem: str | None
    sender: str | None
    envelope_to: tuple[str, ...] = ()
    own: frozenset[str] = field(default_factory=frozenset)


def receive_email(
    db: Database,
    raw: bytes,
    *,
    now: int,
    source: str,
    envelope_from: str | None = None,
    envelope_to: list[str] | None = None,
    intake: Intake = DEFAULT_INTAKE,
) -> Received:
    """Store a mail as it came, then take it into a case or hold it, as `intake` says; see the
    module.

    Raises only MailTooLarge (nothing stored) or when the raw mail cannot be stored at all;
    once it is stored, the answer says where it went (a failure leaves it in the review list).
    """
    limits = intake.limits
    if len(raw) > limits.message_bytes:
        raise MailTooLarge(
            f"the message is {len(raw):,} bytes; the limit is {limits.message_bytes:,}"
        )
    parsed, problem = _parse(raw)
    sender = (parsed.sender if parsed else None) or normalise_address(envelope_from)
    fingerprint = content_fingerprint(raw)
    with db.write() as session:
        inbound_id = session.scalar(
            insert(table_of(InboundEmail)).returning(table_of(InboundEmail).c.id),
            {
                "received_at": now,
                "source": source,
                "envelope_from": (envelope_from or "")[:500] or None,
                "envelope_to": ", ".join(envelope_to or ()) or None,
                "message_id": (parsed.message_id or "")[:998] or None if parsed else None,
                "size": len(raw),
                "raw": raw,
                "status": "received",
                "error": problem,
                "sender": sender[:320] if sender else None,
                "fingerprint": fingerprint,
            },
        )
    assert inbound_id is not None
    recipients = _addresses(envelope_to or ())
    job = _Job(inbound_id, fingerprint, parsed, problem, sender, recipients, intake.trust.own)
    return _settle_job(db, job, intake, now=now, states=("received",))


def retry(db: Database, inbound_id: int, *, now: int, by: str, intake: Intake) -> Received:
    """Take a held (or interrupted, or dismissed) mail again; NotFound or Conflict otherwise."""
    with db.read() as session:
        row = session.get(InboundEmail, inbound_id)
        if row is None:
            raise NotFound(f"inbound e-mail {inbound_id} does not exist")
        if not retryable(row.status, row.received_at, now):
            raise Conflict(
                f"inbound e-mail {inbound_id} is {row.status}"
                + (f" (case {row.case_id})" if row.case_id else "")
                + ": only held, dismissed or interrupted mail is taken again"
            )
        raw, envelope_to = row.raw, row.envelope_to
    parsed, problem = _parse(raw)
    recipients = _addresses((envelope_to or "").split(","))
    sender = (parsed.sender if parsed else None) or row.sender
    job = _Job(
        inbound_id,
        row.fingerprint or content_fingerprint(raw),
        parsed,
        problem,
        sender,
        recipients,
        intake.trust.own,
    )
    states = ("held", "dismissed", "received")
    # A retry is staff's decision: the sender limit that held the mail no longer applies.
    unlimited = Intake(intake.analyzer, intake.limits, intake.trust, SenderLimit())
    received = _settle_job(db, job, unlimited, now=now, states=states, by=by)
    if received.outcome == "gone":
        raise Conflict(f"inbound e-mail {inbound_id} was taken meanwhile; reload it")
    return received


def dismiss(session: Session, inbound_id: int, *, now: int, by: str, note: str | None) -> None:
    """Mark a held or interrupted mail as needing no case (it stays stored; it can be retried)."""
    row = session.get(InboundEmail, inbound_id)
    if row is None:
        raise NotFound(f"inbound e-mail {inbound_id} does not exist")
    if row.status != "held" and not _interrupted(row.status, row.received_at, now):
        raise Conflict(
            f"inbound e-mail {inbound_id} is {row.status}: only held or interrupted mail "
            "can be dismissed"
        )
    row.status = "dismissed"
    row.handled_by = by[:200]
    row.handled_at = now
    if note:
        row.error = f"{row.error or ''}\ndismissed: {note}".strip()[:10_000]


def retryable(status: str, received_at: int, now: int) -> bool:
    """Whether a stored mail in this state can be taken again."""
    return status in ("held", "dismissed") or _interrupted(status, received_at, now)


def _interrupted(status: str, received_at: int, now: int) -> bool:
    """Whether a delivery was interrupted: still `received` long after it came."""
    return status == "received" and now - received_at >= INTERRUPTED_US


def _interrupted_rows(now: int) -> ColumnElement[bool]:
    """The deliveries `_interrupted` names, as a condition on the stored mails."""
    return (InboundEmail.status == "received") & (InboundEmail.received_at <= now - INTERRUPTED_US)


def retry_waiting(db: Database, *, now: int, intake: Intake, limit: int = 100) -> list[Received]:
    """Take again, by themselves, the held mails whose cause is gone: those held for want of a
    policy (once one is active) and deliveries interrupted mid-way."""
    with db.read() as session:
        policy = _has_active_policy(session)
        interrupted = _interrupted_rows(now)
        unheld = (InboundEmail.status == "held") & (InboundEmail.hold_reason == "no_policy")
        which = (interrupted | unheld) if policy else interrupted
        ids = list(
            session.scalars(
                select(InboundEmail.id).where(which).order_by(InboundEmail.id).limit(limit)
            )
        )
    done = []
    for inbound_id in ids:
        try:
            done.append(retry(db, inbound_id, now=now, by="mail-intake", intake=intake))
        except (NotFound, Conflict):
            continue  # taken by someone else meanwhile
    return done


def sender_over_limit(
    session: Session, sender: str | None, *, now: int, limit: SenderLimit, besides: int = 0
) -> bool:
    """Whether `sender` (a normalised address) has reached its limit of mails in the window,
    counting every stored delivery from them except `besides` (an inbound id)."""
    if not limit.count or not sender:
        return False
    count = session.scalar(
        select(func.count())
        .select_from(InboundEmail)
        .where(
            InboundEmail.sender == sender[:320],
            InboundEmail.received_at > now - limit.window_us,
            InboundEmail.id != besides,
        )
    )
    return int(count or 0) >= limit.count


def waiting_count(db: Database, *, now: int) -> int:
    """How many stored mails wait in the review list (held or interrupted)."""
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(InboundEmail)
                .where((InboundEmail.status == "held") | _interrupted_rows(now))
            )
            or 0
        )


def has_active_policy(db: Database) -> bool:
    """Whether a policy is active (without one, new mail is held rather than opening cases)."""
    with db.read() as session:
        return _has_active_policy(session)


def intake_from(settings: Settings, analyzer: TextAnalyzer | None) -> Intake:
    """How mail is taken under these settings (`ESCALON_MAIL_*`)."""
    own = normalise_address(parseaddr(settings.mail_from)[1])
    return Intake(
        analyzer=analyzer,
        limits=MailLimits(
            message_bytes=settings.mail_max_bytes,
            attachment_bytes=settings.mail_attachment_max_bytes,
        ),
        trust=MailTrust(
            authserv_id=settings.mail_authserv_id or None,
            own=frozenset({own} if own else ()),
        ),
        sender_limit=SenderLimit(
            count=settings.mail_sender_limit,
            window_us=settings.mail_sender_window_seconds * US,
        ),
    )


def readiness(db: Database, settings: Settings, *, now: int) -> list[str]:
    """What mail intake cannot do yet under these settings, in words for the operator."""
    found = []
    if not has_active_policy(db):
        found.append(
            "no policy is active: mail is stored and held for review instead of opening "
            "cases; once a policy is activated, held mail is taken by itself"
        )
    if not settings.smtp_host:
        found.append(
            "ESCALON_SMTP_HOST is not set: acknowledgements and answers to customers are "
            "written to the log instead of sent"
        )
    if not settings.mail_authserv_id:
        found.append(
            "ESCALON_MAIL_AUTHSERV_ID is not set: the From of each mail is believed as "
            "delivered, so the mail server in front must refuse forged senders (docs/mail.md)"
        )
    waiting = waiting_count(db, now=now)
    if waiting:
        found.append(
            f"{waiting} stored mail{'s wait' if waiting != 1 else ' waits'} in the review "
            "list (escalon mail review)"
        )
    return found


def _addresses(values: Iterable[str]) -> tuple[str, ...]:
    """The addresses among `values`, normalised (what is not an address is left out)."""
    found = (normalise_address(value) for value in values)
    return tuple(address for address in found if address is not None)


def _parse(raw: bytes) -> tuple[ParsedEmail | None, str | None]:
    try:
        return parse_email(raw), None
    except UnreadableEmail as error:
        return None, str(error)


# -- taking a stored mail ------------------------------------------------------------------------

_Work = Callable[[Session, _Job], Received]


def _settle_job(
    db: Database,
    job: _Job,
    intake: Intake,
    *,
    now: int,
    states: tuple[str, ...],
    by: str | None = None,
) -> Received:
    """Take the stored mail into a case, or hold it; a failure falls back to a review case, then
    to holding it; a failure of that too leaves it `received` (interrupted, in the review list)."""

    def take(session: Session, job: _Job) -> Received:
        return _take(session, job, intake, now)

    def review(session: Session, job: _Job) -> Received:
        if not _has_active_policy(session):
            return _hold(session, job, "no_policy", problem, now)
        return _review(session, job, problem, now)

    def hold(session: Session, job: _Job) -> Received:
        return _hold(session, job, "failed", problem, now)

    problem = job.problem or ""
    for work in (take, review, hold):
        try:
            with db.write() as session:
                outcome = _claimed(session, job, states, work)
                if by is not None and outcome.outcome not in ("duplicate", "gone"):
                    _handled(session, job.inbound_id, by, now)
                return outcome
        except Exception as error:  # kept: the stored original waits in the review list
            # Only the kind of error: its text may quote the customer's mail.
            log.error(
                "inbound e-mail %s: %s while taking it (%s)",
                job.inbound_id,
                type(error).__name__,
                work.__name__,
            )
            problem = f"{type(error).__name__}: {error}"[:2000]
    return Received(job.inbound_id, None, None, "received", problem)


def _claimed(session: Session, job: _Job, states: tuple[str, ...], work: _Work) -> Received:
    """Run `work` once this delivery holds the mail's claim, in the caller's transaction.

    The delivery's row is locked in one of `states` first (two retries of one row queue here;
    the second finds it settled: outcome `gone`). A delivery whose mail another delivery has
    claimed becomes its duplicate; on PostgreSQL a concurrent claim waits for the claimer's
    transaction and fails (unique `taken`) when it commits.
    """
    try:
        # One statement locks the row and claims the fingerprint (a held row holds it already).
        with session.begin_nested():
            locked = session.execute(
                update(InboundEmail)
                .where(InboundEmail.id == job.inbound_id, InboundEmail.status.in_(states))
                .values(status="received", taken=job.fingerprint)
                .returning(InboundEmail.id)
            ).first()
    except IntegrityError:
        winner = _claimer(session, job.fingerprint)
        if winner is None:  # the claim is held by a committed row, so this cannot be
            raise
        return _duplicate(session, job.inbound_id, winner)
    if locked is None:
        return _current(session, job.inbound_id)
    return work(session, job)


def _claimer(session: Session, fingerprint: str) -> int | None:
    found = session.scalar(select(InboundEmail.id).where(InboundEmail.taken == fingerprint))
    return None if found is None else int(found)


def _where_it_went(session: Session, inbound_id: int) -> tuple[int | None, int | None, str]:
    """A stored delivery's case, message and status (`gone` when there is no such row)."""
    row = session.execute(
        select(InboundEmail.case_id, InboundEmail.message_row_id, InboundEmail.status).where(
            InboundEmail.id == inbound_id
        )
    ).first()
    return (row[0], row[1], row[2]) if row is not None else (None, None, "gone")


def _current(session: Session, inbound_id: int) -> Received:
    case_id, message_row_id, status = _where_it_went(session, inbound_id)
    return Received(inbound_id, case_id, message_row_id, "gone", f"already {status}")


def _duplicate(session: Session, inbound_id: int, winner: int) -> Received:
    row = _where_it_went(session, winner)
    note = f"the same mail as inbound e-mail {winner} ({row[2]})"
    session.execute(
        update(InboundEmail)
        .where(InboundEmail.id == inbound_id)
        .values(
            status="duplicate",
            duplicate_of=winner,
            case_id=row[0],
            message_row_id=row[1],
            error=note,
        )
    )
    return Received(inbound_id, row[0], row[1], "duplicate", note)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Where a readable mail goes."""

    case_id: int | None = None  # the case it joins
    participant: str | None = None  # who wrote, when a participant rather than the customer
    follows: int | None = None  # a closed case of the sender's that it answers
    claimed: int | None = None  # a case it names but may not join
    why: str = ""  # why not, for the note on its own case


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where a readable mail went: its case and message, and who wrote it as the case sees it."""

    case_id: int
    message_row_id: int | None
    outcome: str  # threaded, opened
    writer: str | None  # customer, participant; None when it does not matter


def _take(session: Session, job: _Job, intake: Intake, now: int) -> Received:
    """Take a stored delivery into its case, a new case or the review list (see the module)."""
    mail = job.parsed
    if mail is None:
        if not _has_active_policy(session):
            return _hold(session, job, "no_policy", HOLD_REASONS["no_policy"], now)
        return _review(session, job, job.problem or "", now)
    limit = intake.sender_limit
    if sender_over_limit(session, job.sender, now=now, limit=limit, besides=job.inbound_id):
        problem = (
            f"{job.sender} sent {limit.count} or more mails in {limit.window_us // US} s: held so "
            "that a flood opens no cases; retry it to take it"
        )
        return _hold(session, job, "sender_limit", problem, now)
    if mail.case_token is None and _answers_staff_mail(session, mail.thread_ids):
        return _hold(session, job, "staff_reply", HOLD_REASONS["staff_reply"], now)
    trust = intake.trust
    verified = trust.authserv_id is None or sender_verified(mail, trust.authserv_id)
    plan = _plan(session, mail, verified)
    placed = (
        _join(session, job, mail, plan, intake, now)
        if plan.case_id is not None
        else _open_own(session, job, mail, plan, verified, intake, now)
    )
    if placed is None:  # refused before it wrote anything: without a policy it waits for one
        return _hold(session, job, "no_policy", HOLD_REASONS["no_policy"], now)
    case_id, message_row_id = placed.case_id, placed.message_row_id
    if placed.writer == "customer":
        _add_copied(session, case_id, mail, job, now)
    refused = _store_attachments(session, case_id, message_row_id, mail, now, intake.limits)
    if mail.message_id:
        # The mail's own Message-ID leads later replies to its case (the first case it named).
        threads.remember(session, EMAIL, mail.message_id[:998], case_id, now)
    note = "; ".join(refused)
    _settle(session, job.inbound_id, placed.outcome, case_id, message_row_id, note or None)
    return Received(job.inbound_id, case_id, message_row_id, placed.outcome, note)


def _body(mail: ParsedEmail) -> str:
    return (mail.reply or mail.text or "(no text)")[:_BODY_LIMIT]


def _join(
    session: Session, job: _Job, mail: ParsedEmail, plan: _Plan, intake: Intake, now: int
) -> _Placed:
    """Add the mail to the case it answers, as its customer's or a participant's message."""
    assert plan.case_id is not None
    details = _details(mail, job.inbound_id)
    if plan.participant is not None:
        details["participant"] = True
    message_row_id = messages.post_message(
        session,
        case_id=plan.case_id,
        request=MessageIn(
            author="customer",
            body=_body(mail),
            channel=EMAIL,
            subject=mail.subject[:500] or None,
        ),
        actor=INTAKE_ACTOR,
        now=now,
        analyzer=intake.analyzer,
        details=details,
        written_by=plan.participant,
    )
    writer = "participant" if plan.participant else "customer"
    return _Placed(plan.case_id, message_row_id, "threaded", writer)


def _open_own(
    session: Session,
    job: _Job,
    mail: ParsedEmail,
    plan: _Plan,
    verified: bool,
    intake: Intake,
    now: int,
) -> _Placed | None:
    """Open a case of the mail's own (tagged for review when it claimed a case it may not join,
    or its sender is not verified); None when no policy is active to open it under."""
    details = _details(mail, job.inbound_id)
    tags: list[str] = []
    if plan.follows is not None:
        details["follows_case"] = plan.follows
    if plan.claimed is not None:
        details["claimed_case"] = plan.claimed
        tags.append(REVIEW_TAG)
    if not verified:
        details["unverified_sender"] = True
        tags.append(REVIEW_TAG)
    try:
        opened = opening.open_case(
            session,
            request=CaseCreate(
                customer=_customer(mail),
                subject=mail.subject[:500] or "(no subject)",
                body=_body(mail),
                channel=EMAIL,
            ),
            actor=INTAKE_ACTOR,
            now=now,
            analyzer=intake.analyzer,
            tags=tuple(dict.fromkeys(tags)),
            message_details=details,
        )
    except Conflict:
        if not _has_active_policy(session):
            return None
        raise
    case_id = opened.case_id
    message_row_id = first_message(session, case_id)
    writer = None
    if verified and mail.cc:  # only then does it matter whether the sender is the customer
        writer = participants.writer_of(session, case_id, mail.sender)
    if plan.claimed is not None:
        _note_claim(session, case_id, plan, mail.sender, now)
    return _Placed(case_id, message_row_id, "opened", writer)


def _plan(session: Session, mail: ParsedEmail, verified: bool) -> _Plan:
    """The case the mail joins, or why it opens its own (see the module for the rules)."""
    named: list[tuple[int, str]] = []
    for reference in mail.thread_ids:
        case_id = _case_of_reference(session, reference)
        if case_id is not None:
            named.append((case_id, f"answers {reference}"))
    if mail.case_token is not None:
        named.append((mail.case_token, f"names [#{mail.case_token}] in its subject"))
    follows: int | None = None
    claimed: tuple[int, str] | None = None
    for case_id, how in named:
        status = session.scalar(select(Case.status).where(Case.id == case_id))
        if status is None:
            continue  # a token naming no case
        writer = participants.writer_of(session, case_id, mail.sender)
        if writer is None or not verified:
            if claimed is None:
                who = mail.sender or "an unknown sender"
                why = (
                    f"its sender {who} is neither that case's customer nor a participant it knows"
                    if writer is None
                    else f"the receiving mail server did not verify its sender {who}"
                )
                claimed = (case_id, f"It {how}, but {why}")
            continue
        if status == "closed":
            follows = follows or case_id
            continue
        return _Plan(case_id, mail.sender if writer == "participant" else None)
    if claimed is None:
        return _Plan(follows=follows)
    return _Plan(follows=follows, claimed=claimed[0], why=claimed[1])


def _note_claim(session: Session, case_id: int, plan: _Plan, sender: str | None, now: int) -> None:
    """An internal note on the stranger's own case: which case the mail claimed to answer."""
    text = (
        f"This mail names case #{plan.claimed}. {plan.why}, so it opened a case of its own. "
        f"If it belongs with #{plan.claimed}, add {sender or 'its sender'} there as a participant "
        f"(POST /api/v1/cases/{plan.claimed}/participants) and link the two cases."
    )
    messages.post_message(
        session,
        case_id=case_id,
        request=MessageIn(author="agent", body=text[:_BODY_LIMIT], public=False, channel=EMAIL),
        actor=INTAKE_ACTOR,
        now=now,
        analyzer=None,
        details={"claimed_case": plan.claimed},
    )


def _add_copied(session: Session, case_id: int, mail: ParsedEmail, job: _Job, now: int) -> None:
    """The people the customer copied in (Cc) may write into the case too: not those the mail
    was addressed to (To, the envelope, Delivered-To: the support address itself)."""
    own = set(job.own) | set(job.envelope_to) | set(mail.delivered_to) | set(mail.to)
    own.add(mail.sender or "")
    copied = [address for address in mail.cc if address not in own and len(address) <= 320]
    if copied:
        participants.add(
            session,
            case_id=case_id,
            addresses=copied[: participants.CC_LIMIT],
            source="cc",
            by=f"cc from {mail.sender}"[:200],
            now=now,
        )


def _review(session: Session, job: _Job, problem: str, now: int) -> Received:
    """A case tagged for review that points at the stored original (an unreadable mail)."""
    mail = job.parsed
    sender = job.sender or "unknown-sender"
    subject = (mail.subject if mail and mail.subject else "E-mail that could not be read")[:500]
    try:
        customer = CustomerIn(ref=sender[:200], email=sender if "@" in sender else None)
    except ValueError:  # an address the customer fields refuse: the original keeps it
        customer = CustomerIn(ref="unknown-sender")
    opened = opening.open_case(
        session,
        request=CaseCreate(
            customer=customer,
            subject=subject,
            body=(
                f"An e-mail arrived that Escalon could not read ({problem or 'unknown problem'}). "
                f"Its original is stored as inbound e-mail {job.inbound_id}; "
                "read it and answer the customer."
            )[:_BODY_LIMIT],
            channel=EMAIL,
        ),
        actor=INTAKE_ACTOR,
        now=now,
        analyzer=None,
        tags=(REVIEW_TAG,),
        message_details={"inbound_email": job.inbound_id, "problem": problem[:2000]},
    )
    message_row_id = first_message(session, opened.case_id)
    _settle(session, job.inbound_id, "review", opened.case_id, message_row_id, problem)
    return Received(job.inbound_id, opened.case_id, message_row_id, "review", problem)


def _hold(session: Session, job: _Job, reason: str, problem: str, now: int) -> Received:
    """Keep the mail in the review list (it holds its claim: a redelivery is its duplicate)."""
    text = problem or HOLD_REASONS[reason]
    session.execute(
        update(InboundEmail)
        .where(InboundEmail.id == job.inbound_id)
        .values(status="held", hold_reason=reason, error=text[:10_000])
    )
    return Received(job.inbound_id, None, None, "held", text)


def _handled(session: Session, inbound_id: int, by: str, now: int) -> None:
    session.execute(
        update(InboundEmail)
        .where(InboundEmail.id == inbound_id)
        .values(handled_by=by[:200], handled_at=now)
    )


def _has_active_policy(session: Session) -> bool:
    return session.scalar(select(PolicyVersion.id).where(PolicyVersion.active)) is not None


def _answers_staff_mail(session: Session, references: Sequence[str]) -> bool:
    """Whether the mail answers one Escalon sent about no case, and no mail of a case."""
    if not references:
        return False
    cut = [reference[:200] for reference in references]
    rows = session.execute(
        select(OutboxMessage.case_id).where(OutboxMessage.message_id.in_(cut))
    ).all()
    return bool(rows) and all(case_id is None for (case_id,) in rows)


def _case_of_reference(session: Session, reference: str) -> int | None:
    """The case of a mail Escalon sent (its outbox) or received (a thread reference)."""
    found = session.scalar(
        select(OutboxMessage.case_id).where(OutboxMessage.message_id == reference[:200])
    )
    if found is not None:
        return int(found)
    return threads.case_of(session, EMAIL, reference)


def _customer(mail: ParsedEmail) -> CustomerIn:
    address = mail.sender or "unknown-sender"
    name = mail.sender_name[:200] if mail.sender_name else None
    try:
        return CustomerIn(ref=address[:200], name=name, email=address if "@" in address else None)
    except ValueError:  # an address the customer fields refuse (no dot in the domain...)
        return CustomerIn(ref=address[:200], name=name)


def _details(mail: ParsedEmail, inbound_id: int) -> dict[str, Any]:
    details: dict[str, Any] = {"inbound_email": inbound_id}
    if mail.message_id:
        details["message_id"] = mail.message_id
    if mail.sender:
        details["from"] = mail.sender
    if mail.reply_to and mail.reply_to != mail.sender:
        details["reply_to"] = mail.reply_to
    if mail.to:
        details["to"] = list(mail.to)
    if mail.cc:
        details["cc"] = list(mail.cc)
    if mail.html_only:
        details["html"] = True
    if mail.reply != mail.text.strip():
        details["quoted_text_removed"] = True
    if mail.automatic:
        details["automatic"] = True
    if mail.problems:
        details["problems"] = list(mail.problems)
    return details


def _store_attachments(
    session: Session,
    case_id: int,
    message_row_id: int | None,
    mail: ParsedEmail,
    now: int,
    limits: MailLimits,
) -> list[str]:
    """Keep each attachment apart (for download); say which were too large to."""
    rows = []
    refused = []
    for attachment in mail.attachments:
        size = len(attachment.data)
        if size > limits.attachment_bytes:
            refused.append(
                f"attachment {attachment.filename!r} ({size:,} bytes) is above the limit of "
                f"{limits.attachment_bytes:,} bytes: not kept apart (it is in the stored original)"
            )
            continue
        rows.append(
            {
                "case_id": case_id,
                "message_row_id": message_row_id,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": size,
                "sha256": hashlib.sha256(attachment.data).hexdigest(),
                "data": attachment.data,
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(Attachment), rows)
    return refused


def _settle(
    session: Session,
    inbound_id: int,
    status: str,
    case_id: int,
    message_row_id: int | None,
    error: str | None,
) -> None:
    session.execute(
        update(InboundEmail)
        .where(InboundEmail.id == inbound_id)
        .values(
            status=status,
            case_id=case_id,
            message_row_id=message_row_id,
            error=error,
            hold_reason=None,
        )
    )
