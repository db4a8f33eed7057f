"""Search benchmark: how long a text search over many cases takes, on SQLite and PostgreSQL.

    python -m bench.search              # 100,000 cases, two messages each
    python -m bench.search --tiny       # 2,000, what CI runs

Cases are written straight into the tables (the bulk path of `bench.load`), each with its own
customer out of 20,000 and two messages whose words follow a Zipf-like spread over a vocabulary
of 5,000 (a few very common words, a long tail of rare ones); the search index is then built
by `escalon.cases.search.rebuild`, the same code a migration runs. Each kind of query runs 40
times, each time with other words, through `escalon.cases.queries.list_cases` (what
`GET /api/v1/cases?q=` and the queue's search box run), for a page of 50 in the API's order
(newest first) and in the queue's (soonest due first). Printed: p50 and p95 per backend and
kind. The goal: p95 under 100 ms on both.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select, text

from bench import load
from escalon.cases import queries, search, visibility
from escalon.cases.models import Customer, Message
from escalon.database import Database, bulk
from escalon.database.base import table_of
from escalon.database.migrate import upgrade

SERVER = "postgresql://root@127.0.0.1:5432"
GOAL_MS = 100.0
RUNS = 40
US = 1_000_000
COMMON = ["refund", "printer", "invoice", "password", "delivery", "broken", "charged", "login"]


def vocabulary(size: int) -> list[str]:
    """The words messages are made of: some common support words, then a long tail."""
    return COMMON + [f"w{n:04d}" for n in range(size - len(COMMON))]


class Writer:
    """Message text with a Zipf-like spread of words (rank r is used about 1/r as often)."""

    def __init__(self, words: list[str], seed: int) -> None:
        self.words = words
        self.random = random.Random(seed)
        self.weights = [1 / (rank + 1) for rank in range(len(words))]

    def text(self, length: int) -> str:
        """A text of `length` words."""
        return " ".join(self.random.choices(self.words, self.weights, k=length))


def seed(database: Database, count: int, customers: int) -> None:
    """`count` open cases, each with a customer and two messages, and their search index."""
    now = time.time_ns() // 1000
    workspace = load.prepare(database, now=now)
    with database.write() as session:
        first = int(session.scalar(select(func.coalesce(func.max(Customer.id), 0))) or 0) + 1
        bulk.insert_rows(
            session,
            table_of(Customer),
            [
                {
                    "id": first + n,
                    "ref": f"CRM-{n:06d}",
                    "name": f"Customer {n} Lindqvist" if n % 7 == 0 else f"Customer {n}",
                    "email": f"c{n:06d}@example.org",
                    "tier": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(customers)
            ],
        )
        if database.is_postgresql:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('customers', 'id'), :last)"),
                {"last": first + customers},
            )
    writer = Writer(vocabulary(5000), seed=7)
    ids = load.next_ids(database, count)

    def rows() -> Iterator[dict[str, Any]]:
        for n, row in enumerate(load.background_rows(workspace, ids, now)):
            row["customer_id"] = first + n % customers
            row["subject"] = writer.text(5)
            yield row

    load.insert_rows(database, rows())
    messages = [
        {
            "case_id": case_id,
            "at": now,
            "author_kind": kind,
            "author": "bench",
            "public": True,
            "channel": "api",
            "subject": None,
            "body": writer.text(40),
            "details": None,
        }
        for case_id in ids
        for kind in ("customer", "agent")
    ]
    for start in range(0, len(messages), 20_000):
        with database.write() as session:
            bulk.insert_rows(session, table_of(Message), messages[start : start + 20_000])
    with database.write() as session:
        search.rebuild(session.connection())
    if database.is_postgresql:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    else:
        with database.write() as session:
            session.execute(text("ANALYZE"))


def queries_of(kind: str, rng: random.Random, customers: int) -> str:
    """One query of a kind, with words of its own."""
    tail = vocabulary(5000)
    if kind == "common word":
        return rng.choice(COMMON)
    if kind == "rare word":
        return rng.choice(tail[3000:])
    if kind == "two words":
        return f"{rng.choice(COMMON)} {rng.choice(tail[100:1000])}"
    if kind == "customer e-mail":
        return f"c{rng.randrange(customers):06d}@example.org"
    if kind == "customer ref":
        return f"CRM-{rng.randrange(customers):06d}"
    if kind == "customer name":
        return "lindqvist"
    if kind == "no match":
        return f"nothing{rng.randrange(10**6)}"
    return ""  # no search at all: what the list costs anyway, for comparison


KINDS = (
    "common word",
    "rare word",
    "two words",
    "customer e-mail",
    "customer ref",
    "customer name",
    "no match",
    "(no search)",
)


def measure(database: Database, customers: int) -> dict[tuple[str, str], list[float]]:
    """Milliseconds per query, by (kind, sort)."""
    rng = random.Random(11)
    timings: dict[tuple[str, str], list[float]] = {}
    for kind in KINDS:
        for sort in ("-opened", "due"):
            spent = []
            for run in range(RUNS + 2):
                q = queries_of(kind, rng, customers)
                began = time.perf_counter()
                with database.read() as session:
                    queries.list_cases(
                        session,
                        queries.CaseFilters(q=q or None),
                        sort=sort,
                        limit=50,
                        cursor=None,
                        scope=visibility.EVERYTHING,
                    )
                if run >= 2:  # the first two warm caches up
                    spent.append((time.perf_counter() - began) * 1000)
            timings[(kind, sort)] = spent
    return timings


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(backend: str, timings: dict[tuple[str, str], list[float]]) -> float:
    """Print p50/p95 per kind and sort; the worst p95."""
    worst = 0.0
    for (kind, sort), spent in timings.items():
        p95 = percentile(spent, 0.95)
        if kind != "(no search)":
            worst = max(worst, p95)
        print(
            f"  {backend:<10} {kind:<16} sort {sort:<7} p50 {statistics.median(spent):7.1f} ms"
            f"  p95 {p95:7.1f} ms",
            flush=True,
        )
    verdict = "met" if worst < GOAL_MS else "NOT met"
    print(f"  {backend}: worst p95 {worst:.1f} ms (goal < {GOAL_MS:.0f} ms: {verdict})", flush=True)
    return worst


def postgres_database(name: str) -> Database:
    """A new, empty PostgreSQL database (an earlier one of the name is dropped)."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return Database(f"postgresql+psycopg://root@127.0.0.1:5432/{name}", pool_size=2)


def drop_postgres(name: str) -> None:
    """Remove the benchmark's database."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Build both databases, search them, print the figures; the worst p95 per backend."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="2,000 cases, for CI.")
    parser.add_argument("--cases", type=int, default=None, help="How many cases.")
    args = parser.parse_args(argv)
    count = args.cases or (2_000 if args.tiny else 100_000)
    customers = min(20_000, max(count // 5, 1))
    print(f"search over {count:,} cases ({2 * count:,} messages, {customers:,} customers)")
    worst: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="escalon-search-") as folder:
        sqlite = Database(f"sqlite:///{Path(folder) / 'search.db'}")
        upgrade(sqlite)
        started = time.perf_counter()
        seed(sqlite, count, customers)
        print(f"  SQLite loaded and indexed in {time.perf_counter() - started:.0f} s", flush=True)
        worst["sqlite"] = report("SQLite", measure(sqlite, customers))
        sqlite.dispose()
    name = f"escalon_bench_search_{count}"
    postgres = postgres_database(name)
    try:
        upgrade(postgres)
        started = time.perf_counter()
        seed(postgres, count, customers)
        print(f"  PostgreSQL loaded and indexed in {time.perf_counter() - started:.0f} s")
        worst["postgresql"] = report("PostgreSQL", measure(postgres, customers))
    finally:
        postgres.dispose()
        drop_postgres(name)
    return worst


if __name__ == "__main__":
    main()
