"""Thread references: which conversation, thread, post or e-mail leads to which case.

Every channel records in `thread_refs` the references a later message may carry, so that it
finds its case, and a redelivery is stored once:

| channel        | ref                          | means                                        |
|----------------|------------------------------|----------------------------------------------|
| `email`        | a Message-ID                 | a reply to this mail joins the case          |
| `chat`         | conversation id              | the conversation's case                      |
| `chat-message` | conversation id + message id | this chat message is stored (de-duplication) |
| `social`       | `network:post id`            | a thread (or a post of it) leads to the case |
| `social-post`  | `network:post id`            | this post is stored (de-duplication)         |

A reference is recorded once (a unique key), so two concurrent deliveries cannot both register
one: the loser learns it (`remember` answers False, `Thread.point_to` raises `DeliveryRace`)
and its caller retries in a new transaction, which then finds what the winner stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.cases.models import Case
from escalon.channels.models import ThreadRef
from escalon.database.dialect import insert_ignoring_conflict


class DeliveryRace(Exception):
    """A concurrent delivery registered the same conversation, thread or post first: retry."""


def case_of(session: Session, channel: str, ref: str) -> int | None:
    """The case a reference leads to, whatever its status."""
    found = session.scalar(
        select(ThreadRef.case_id).where(ThreadRef.channel == channel, ThreadRef.ref == ref)
    )
    return None if found is None else int(found)


def remember(session: Session, channel: str, ref: str, case_id: int, now: int) -> bool:
    """Record a reference; False when it is recorded already (then nothing changes)."""
    statement = (
        insert_ignoring_conflict(session, ThreadRef)
        .values(channel=channel, ref=ref, case_id=case_id, created_at=now)
        .returning(ThreadRef.id)
    )
    return session.execute(statement).first() is not None


@dataclass(slots=True)
class Thread:
    """A conversation or thread: the case it leads to, if that case can still take messages."""

    channel: str
    ref: str
    case_id: int | None  # None: unknown, or its case is closed
    stale_case_id: int | None  # the closed case it led to

    def point_to(self, session: Session, case_id: int, now: int) -> None:
        """Lead the thread to a new case (a concurrent delivery that did so first: a race)."""
        if self.stale_case_id is None:
            if not remember(session, self.channel, self.ref, case_id, now):
                raise DeliveryRace(self.ref)
            return
        moved = session.execute(
            update(ThreadRef)
            .where(
                ThreadRef.channel == self.channel,
                ThreadRef.ref == self.ref,
                ThreadRef.case_id == self.stale_case_id,
            )
            .values(case_id=case_id)
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise DeliveryRace(self.ref)


def thread(session: Session, channel: str, ref: str) -> Thread:
    """The thread a reference names; a closed (final) case leaves it open for a new case."""
    found = session.execute(
        select(ThreadRef.case_id, Case.status)
        .join(Case, Case.id == ThreadRef.case_id)
        .where(ThreadRef.channel == channel, ThreadRef.ref == ref)
    ).first()
    if found is None:
        return Thread(channel, ref, None, None)
    if found[1] == "closed":  # final: a new message starts a new case
        return Thread(channel, ref, None, int(found[0]))
    return Thread(channel, ref, int(found[0]), None)
