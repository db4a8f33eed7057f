"""Customers' messages to learn from: a file of JSON lines or of case events, or the database
(every message, or each escalated case's customer text as one)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases.models import Case, Message
from escalon.core.events import CaseOpened, CustomerMessage, EventError, parse_event_json

# A message longer than this is cut: the topic shows in its first pages, and one huge message
# must not decide the memory a run needs.
MAX_TEXT = 20_000


class SourceError(ValueError):
    """A file that cannot be read as messages; says where and what."""


@dataclass(frozen=True)
class CustomerText:
    """One thing a customer wrote: its id, the case it belongs to (when known), and its text."""

    id: str
    text: str
    case: str | None = None


def read_file(path: Path) -> list[CustomerText]:
    """Messages from JSON lines: `{"id", "text"}` objects or case events (replay format).

    From events, the customers' words are each case's opening (subject and body) and its
    `customer.message` events; such a message's id is `case#line`. Raises SourceError naming
    the line on the first line that is neither.
    """
    try:
        with path.open("rb") as lines:
            return list(_read_lines(lines, path.name))
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror or error})") from None


def _read_lines(lines: Iterable[bytes], name: str) -> Iterator[CustomerText]:
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        found = _one(line, f"{name}:{number}", number)
        if found is None:
            continue
        if found.id in seen:
            raise SourceError(f"{name}:{number}: id {found.id!r} appears twice")
        seen.add(found.id)
        yield found


def _one(line: bytes, where: str, number: int) -> CustomerText | None:
    """One line as a message, None for an event that carries no customer's words."""
    try:
        data = json.loads(line)
    except ValueError as error:
        raise SourceError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{where}: expected an object with 'id' and 'text', or an event")
    if "type" in data:
        try:
            event = parse_event_json(line)
        except EventError as error:
            raise SourceError(f"{where}: {error}") from None
        if isinstance(event, CaseOpened):
            text = f"{event.subject}\n{event.body}" if event.subject else event.body
        elif isinstance(event, CustomerMessage):
            text = event.body
        else:
            return None
        return CustomerText(f"{event.case}#{number}", text[:MAX_TEXT], event.case)
    identifier, said = data.get("id"), data.get("text")
    if not isinstance(identifier, str | int) or isinstance(identifier, bool) or identifier == "":
        raise SourceError(f"{where}: 'id' must be a non-empty string or a number")
    if not isinstance(said, str):
        raise SourceError(f"{where}: 'text' must be a string")
    return CustomerText(str(identifier), said[:MAX_TEXT])


def from_database(session: Session, *, since: int | None = None) -> list[CustomerText]:
    """Every message customers wrote (those since instant `since`, when given), oldest first."""
    query = select(Message.id, Message.case_id, Message.subject, Message.body).where(
        Message.author_kind == "customer"
    )
    if since is not None:
        query = query.where(Message.at >= since)
    found = []
    for identifier, case_id, subject, body in session.execute(query.order_by(Message.id)):
        text = f"{subject}\n{body}" if subject else body
        found.append(CustomerText(str(identifier), text[:MAX_TEXT], str(case_id)))
    return found


def escalated_cases(
    session: Session, *, opened_since: int, opened_until: int
) -> list[CustomerText]:
    """Each escalated case opened in [opened_since, opened_until) as one text: its customer's
    messages (the opening first), oldest first, cut as one message is; by case id."""
    query = (
        select(Message.case_id, Message.subject, Message.body)
        .join(Case, Case.id == Message.case_id)
        .where(
            Case.escalations > 0,
            Case.opened_at >= opened_since,
            Case.opened_at < opened_until,
            Message.author_kind == "customer",
        )
        .order_by(Message.case_id, Message.at, Message.id)
    )
    said: dict[int, list[str]] = {}
    lengths: dict[int, int] = {}
    for case_id, subject, body in session.execute(query):
        used = lengths.get(case_id, 0)
        if used >= MAX_TEXT:
            continue  # the rest of a long case would be cut away anyway
        text = f"{subject}\n{body}" if subject else body
        said.setdefault(case_id, []).append(text[: MAX_TEXT - used])
        lengths[case_id] = used + len(text) + 1
    return [
        CustomerText(str(case_id), "\n".join(parts)[:MAX_TEXT], str(case_id))
        for case_id, parts in sorted(said.items())
    ]
