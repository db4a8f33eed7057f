"""The stored history as replay events: what happened to the cases opened in a window, told
again from the audit trail (and the messages' words), so a candidate policy can be replayed
against the active one over the team's own recent cases."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.models import AuditEntry, Case, Message
from escalon.core.events import EVENT_TYPES
from escalon.core.state import from_us

# The newest cases of a window that are told again: a bound on one what-if's work (a replay
# of this many cases takes seconds).
MAX_CASES = 20_000
# The messages each event's words come from.
_WRITTEN = {"case.opened": "customer", "customer.message": "customer", "agent.message": "agent"}


@dataclass(frozen=True, slots=True)
class History:
    """The events of the cases opened in a window, oldest first, as JSON lines."""

    lines: list[str]
    cases: int
    cut: bool  # more cases were opened in the window than were told again


def history(
    session: Session, *, since: int, until: int, scope: visibility.Scope = visibility.EVERYTHING
) -> History:
    """The replay events of the cases in `scope` opened in [since, until), the newest
    `MAX_CASES`."""
    query = (
        select(Case.id, Case.subject)
        .where(Case.opened_at >= since, Case.opened_at < until)
        .order_by(Case.opened_at.desc(), Case.id.desc())
        .limit(MAX_CASES + 1)
    )
    if (condition := scope.where()) is not None:
        query = query.where(condition)
    cases = dict(session.execute(query).all())
    cut = len(cases) > MAX_CASES
    if cut:
        cases.pop(min(cases))
    if not cases:
        return History([], 0, False)
    words = _words(session, list(cases))
    events: list[tuple[int, int, dict[str, Any]]] = []
    for row in _entries(session, list(cases)):
        event: dict[str, Any] = {
            **(row.data or {}),
            "type": row.kind,
            "at": from_us(row.at).isoformat(),
            "case": str(row.case_id),
        }
        author = _WRITTEN.get(row.kind)
        if author is not None:
            said = words[(row.case_id, row.at, author)]
            event["body"] = said.popleft() if said else ""
        if row.kind == "case.opened":
            event["subject"] = cases[row.case_id] or ""
        events.append((row.at, row.id, event))
    events.sort(key=lambda item: (item[0], item[1]))
    lines = [json.dumps(event, ensure_ascii=False) for _at, _id, event in events]
    return History(lines, len(cases), cut)


def _entries(session: Session, case_ids: list[int]) -> Iterator[AuditEntry]:
    """The audit entries that record events (not the engine's decisions) of these cases."""
    for start in range(0, len(case_ids), 1_000):
        chunk = case_ids[start : start + 1_000]
        yield from session.scalars(
            select(AuditEntry).where(
                AuditEntry.case_id.in_(chunk), AuditEntry.kind.in_(EVENT_TYPES)
            )
        )


def _words(session: Session, case_ids: list[int]) -> dict[tuple[int, int, str], deque[str]]:
    """The messages' words by case, instant and author, in the order they were written."""
    found: dict[tuple[int, int, str], deque[str]] = defaultdict(deque)
    for start in range(0, len(case_ids), 1_000):
        chunk = case_ids[start : start + 1_000]
        rows = session.execute(
            select(Message.case_id, Message.at, Message.author_kind, Message.body)
            .where(Message.case_id.in_(chunk))
            .order_by(Message.id)
        )
        for case_id, at, author, body in rows:
            found[(case_id, at, author)].append(body)
    return found
