"""Rows that tell people about a change: outbox messages to the customer (its lifecycle and
`notify_customer`) and to staff (`notify`), and in-app notifications. `service.write_changes`
inserts them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from escalon.cases.records import MOVES
from escalon.core.engine import Action
from escalon.core.state import STOPPED_STATUSES
from escalon.knowledge import sending
from escalon.notifications import notices
from escalon.notifications.outbox import (
    URGENT_TRIGGERS,
    CaseContext,
    CustomerMessages,
    lifecycle_rows,
    outbox_rows,
)
from escalon.people.directory import Directory

if TYPE_CHECKING:
    from escalon.cases.service import Change

# A moment of a case's life the customer hears about: (kind, instant, occurrence, send no
# earlier than).
Moment = tuple[str, int, str, int | None]


def moments(change: Change, wanted: CustomerMessages) -> list[Moment]:
    """The moments of a change the customer hears about by themselves (of those `wanted`)."""
    state = change.state
    found: list[Moment] = []
    if change.new and wanted.acknowledgement:
        found.append(("acknowledgement", state.opened_at, "opened", None))
    if (
        state.status == "resolved"
        and state.resolved_at is not None
        and (change.new or change.case.status not in STOPPED_STATUSES)
    ):
        occurrence = f"resolved@{state.resolved_at}"
        if wanted.resolution:
            found.append(("resolved", state.resolved_at, occurrence, None))
        if wanted.follow_up_hours > 0:
            follow_up = state.resolved_at + round(wanted.follow_up_hours * 3600 * 1_000_000)
            found.append(("follow_up", state.resolved_at, occurrence, follow_up))
    return found


def notifies(change: Change) -> bool:
    """Whether the change notifies staff."""
    return any(action.action == "notify" for action in change.actions)


def tells_customer(change: Change, lifecycle: list[Moment]) -> bool:
    """Whether the change sends the customer a message."""
    return bool(lifecycle) or any(a.action == "notify_customer" for a in change.actions)


@dataclass(frozen=True, slots=True)
class Earlier:
    """What messages quote from before the transaction, read for all its cases at once."""

    # The customer's latest e-mail Message-ID, by case: messages to them answer it.
    threads: dict[int, str]
    # The customer's latest words, by case: staff notices quote them.
    words: dict[int, str]


def read_earlier(
    session: Session,
    directory: Directory,
    changes: Sequence[Change],
    lifecycles: Sequence[list[Moment]],
) -> Earlier:
    """What the changes' messages quote from before them, in one statement of each kind."""
    threads = directory.customer_threads(
        [
            change.case.id
            for change, lifecycle in zip(changes, lifecycles, strict=True)
            if not change.new and tells_customer(change, lifecycle)
        ]
    )
    words = notices.latest_customer_words(
        session, [change.case.id for change in changes if not change.new and notifies(change)]
    )
    return Earlier(threads, words)


def _customer_thread(change: Change, earlier: Earlier) -> str | None:
    """The customer's latest e-mail Message-ID on the case (written now, else before)."""
    for message in reversed(change.messages):
        found = (message.get("details") or {}).get("message_id")
        if message.get("author_kind") == "customer" and found:
            return str(found)
    return None if change.new else earlier.threads.get(change.case.id)


def dressed(
    context: CaseContext, change: Change, lifecycle: list[Moment], earlier: Earlier
) -> CaseContext:
    """The case's context with what its messages quote: the thread to answer, the customer's
    words and the clocks' dues."""
    if tells_customer(change, lifecycle):
        context = replace(context, customer_thread=_customer_thread(change, earlier))
    if notifies(change):
        context = replace(
            context,
            customer_words=notices.words_written_now(change.messages)
            or earlier.words.get(change.case.id),
            dues=notices.clock_dues(change.case.policy, change.state),
        )
    return context


def message_rows(
    change: Change,
    lifecycle: list[Moment],
    context: CaseContext,
    directory: Directory,
    now: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The outbox rows (the lifecycle's, then the actions') and in-app notifications of a
    change."""
    outbox: list[dict[str, Any]] = []
    in_app: list[dict[str, Any]] = []
    for moment, at, occurrence, send_at in lifecycle:
        rows = lifecycle_rows(
            moment, context, directory, at=at, now=now, occurrence=occurrence, send_at=send_at
        )
        if moment == "acknowledgement":
            _with_article(rows, change, directory)
        outbox.extend(rows)
    # A notification that comes with an escalation is urgent, whatever set it off.
    escalated = any(a.action == "escalate" for a in change.actions)
    for action in change.actions:
        if action.action in MOVES:
            continue
        urgent = action.trigger in URGENT_TRIGGERS or escalated
        outbox.extend(outbox_rows(action, context, directory, now=now, urgent=urgent))
        in_app.extend(_in_app(change.case.id, action, urgent, now, context))
    return outbox, in_app


def _with_article(rows: list[dict[str, Any]], change: Change, directory: Directory) -> None:
    """Add the public article that answers the first message well enough, where the case's
    policy asks for one (`knowledge.acknowledgement_article`)."""
    min_match = change.case.policy.acknowledgement_article
    if min_match is None or not rows:
        return
    said = [
        str(message.get("body") or "")
        for message in change.messages
        if message.get("author_kind") == "customer"
    ]
    text = "\n".join([change.case.subject or "", *said[:1]]).strip()
    if not text:
        return
    session = directory.session
    article = sending.for_acknowledgement(
        session, text, min_match=min_match, public_url=CustomerMessages.of(session).public_url
    )
    if article is not None:
        for row in rows:
            row["payload"]["articles"] = [article]


def _in_app(
    case_id: int, action: Action, urgent: bool, now: int, context: CaseContext
) -> list[dict[str, Any]]:
    """A notification in the in-app list of each person a `notify` action reached."""
    reached = action.details.get("reached") if action.action == "notify" else None
    if not reached:
        return []
    people = dict.fromkeys(handle for handles in reached.values() for handle in handles)
    subject = notices.staff_subject(
        action, case_id=case_id, subject=context.subject, priority=context.priority
    )[:500]
    return [
        {
            "agent": handle,
            "case_id": case_id,
            "kind": action.trigger,
            "subject": subject,
            "body": f"Level {context.level}, team {context.team}, priority {context.priority}.",
            "urgent": urgent,
            "created_at": now,
            "read_at": None,
        }
        for handle in people
    ]
