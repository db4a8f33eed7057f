"""Searching cases by their words: the customer (ref, name, e-mail), the subject, the messages.

One search document per case, kept in step by every write that changes its words, in the
writer's transaction: a case opened, a message posted, a customer changed. SQLite keeps it in
an FTS5 table (`case_search`, rowid = case id); PostgreSQL in a table of two `tsvector`s
(customer; subject and messages) with a GIN index on both together.

Both sides see the same words: Escalon cuts text into words itself (letters and digits, lower
case, each word once) before the database indexes it, and a query is cut the same way. A query
is never handed to the database's query language: `"`, `*`, `NEAR`, `-`, `&`, `:` are just
separators, so any text a person types searches for its words (all of them must occur) and
cannot make the database fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Integer, TextualSelect, column, text
from sqlalchemy.orm import Session

WORD = re.compile(r"[^\W_]+")
LONGEST_WORD = 60  # longer runs of letters are not words anyone searches for
WORDS_PER_TEXT = 2000  # distinct words kept of one text: bounds the size of a document
QUERY_WORDS = 12
TABLE = "case_search"

# The two dialects' statements; `:doc` etc. are texts already cut into words.
_SQLITE = {
    "insert": "INSERT INTO case_search (rowid, customer, subject, messages) "
    "VALUES (:case_id, :customer, :subject, :messages)",
    "append": "UPDATE case_search SET messages = messages || ' ' || :words WHERE rowid = :case_id",
    "customer": "UPDATE case_search SET customer = :customer "
    "WHERE rowid IN (SELECT id FROM cases WHERE customer_id = :customer_id)",
    "match": "SELECT rowid AS case_id FROM case_search WHERE case_search MATCH :search_query",
}
_POSTGRESQL = {
    "insert": "INSERT INTO case_search (case_id, customer, body) VALUES "
    "(:case_id, strip(to_tsvector('simple', :customer)), "
    "strip(to_tsvector('simple', :body)))",
    "append": "UPDATE case_search SET body = body || strip(to_tsvector('simple', :words)) "
    "WHERE case_id = :case_id",
    "customer": "UPDATE case_search SET customer = strip(to_tsvector('simple', :customer)) "
    "FROM cases WHERE cases.id = case_search.case_id AND cases.customer_id = :customer_id",
    "match": "SELECT case_id FROM case_search "
    "WHERE (customer || body) @@ to_tsquery('simple', :search_query)",
}


def words(*texts: str | None) -> list[str]:
    """The distinct words of the texts, in order, lower case (at most WORDS_PER_TEXT)."""
    seen: dict[str, None] = {}
    for value in texts:
        if not value:
            continue
        for found in WORD.finditer(value):
            for word in _plain(found.group().casefold()):
                if len(word) <= LONGEST_WORD:
                    seen.setdefault(word, None)
                    if len(seen) >= WORDS_PER_TEXT:
                        return list(seen)
    return list(seen)


def _plain(word: str) -> list[str]:
    """The word, cut where it holds a character other than a letter or a decimal digit (`²`,
    `½`, a combining accent): PostgreSQL's parser cuts there too, and a word it would read as
    two could never match its stripped index."""
    if all(c.isalpha() or c.isdecimal() for c in word):
        return [word]
    return "".join(c if c.isalpha() or c.isdecimal() else " " for c in word).split()


def document(*texts: str | None) -> str:
    """The texts as the index is given them: their words, space-separated."""
    return " ".join(words(*texts))


def _statements(session: Session | Connection) -> dict[str, str]:
    bind = session.get_bind() if isinstance(session, Session) else session
    return _POSTGRESQL if bind.dialect.name == "postgresql" else _SQLITE


def _run(session: Session | Connection, kind: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection() if isinstance(session, Session) else session
    connection.execute(text(_statements(session)[kind]), list(rows))


def index_new_cases(session: Session | Connection, cases: Iterable[dict[str, Any]]) -> None:
    """Index new cases: dicts of case_id, customer (ref, name, e-mail), subject and messages
    (their bodies), all as texts."""
    rows = [
        {
            "case_id": case["case_id"],
            "customer": document(*case["customer"]),
            "subject": document(case["subject"]),
            "messages": document(*case["messages"]),
            "body": document(case["subject"], *case["messages"]),
        }
        for case in cases
    ]
    _run(session, "insert", rows)


def add_messages(session: Session, messages: Iterable[tuple[int, str | None, str]]) -> None:
    """Add posted messages (case id, subject, body) to their cases' documents."""
    rows = [
        {"case_id": case_id, "words": document(subject, body)}
        for case_id, subject, body in messages
    ]
    _run(session, "append", [row for row in rows if row["words"]])


# The customer's fields a case is found by (besides their ref, which never changes).
CUSTOMER_FIELDS = frozenset({"name", "email"})


def customer_changed(
    session: Session, *, customer_id: int, ref: str, name: str | None, email: str | None
) -> None:
    """A customer's ref, name or e-mail changed: every case of theirs finds them by the new."""
    row = {"customer_id": customer_id, "customer": document(ref, name, email)}
    _run(session, "customer", [row])


def query_words(query: str) -> list[str]:
    """The words a search looks for (the first QUERY_WORDS of them)."""
    return words(query)[:QUERY_WORDS]


def matching(dialect: str, query: str, *, limit: int | None = None) -> TextualSelect:
    """A SELECT of the ids of the cases whose documents hold every word of `query` (none
    when it has no words), for `Case.id.in_(...)`; at most `limit` of them if given."""
    found = query_words(query)
    if not found:
        return text("SELECT 0 AS case_id WHERE 1 = 0").columns(column("case_id", Integer))
    if dialect == "postgresql":
        expression = " & ".join(found)
        statement = _POSTGRESQL["match"]
    else:
        # Each word in double quotes: a string, never an operator or a column name.
        expression = " ".join(f'"{word}"' for word in found)
        statement = _SQLITE["match"]
    values: dict[str, Any] = {"search_query": expression}
    if limit is not None:
        statement += " LIMIT :search_limit"
        values["search_limit"] = limit
    return text(statement).bindparams(**values).columns(column("case_id", Integer))


def matching_ids(session: Session, query: str, *, cap: int) -> list[int] | None:
    """The ids of the cases matching `query` when there are at most `cap` of them (None when
    there are more: then `matching` is the better condition, as the cases in the list's order
    soon meet enough matches)."""
    if not query_words(query):
        return []
    dialect = session.get_bind().dialect.name
    found = session.execute(matching(dialect, query, limit=cap + 1)).scalars().all()
    return None if len(found) > cap else [int(case_id) for case_id in found]


def rebuild(connection: Connection, *, batch: int = 5000) -> int:
    """Index every case from scratch (after a migration or a bulk load); returns how many."""
    connection.execute(text("DELETE FROM case_search"))
    last, total = 0, 0
    while True:
        cases = connection.execute(
            text(
                "SELECT cases.id, customers.ref, customers.name, customers.email, cases.subject "
                "FROM cases JOIN customers ON customers.id = cases.customer_id "
                "WHERE cases.id > :last ORDER BY cases.id LIMIT :batch"
            ),
            {"last": last, "batch": batch},
        ).all()
        if not cases:
            return total
        first, last = cases[0][0], cases[-1][0]
        bodies: dict[int, list[str]] = {}
        for case_id, subject, body in connection.execute(
            text(
                "SELECT case_id, subject, body FROM messages "
                "WHERE case_id BETWEEN :first AND :last ORDER BY id"
            ),
            {"first": first, "last": last},
        ):
            bodies.setdefault(case_id, []).extend((subject or "", body or ""))
        index_new_cases(
            connection,
            (
                {
                    "case_id": case_id,
                    "customer": (ref, name, email),
                    "subject": subject,
                    "messages": bodies.get(case_id, ()),
                }
                for case_id, ref, name, email, subject in cases
            ),
        )
        total += len(cases)
