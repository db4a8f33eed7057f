"""Weekly review benchmark: the review of one week over a year of history, on PostgreSQL.

A million cases (a tenth of them in SQLite for comparison with `--sqlite`) are written straight
into the tables over 52 weeks: most resolved with a root cause, about a third escalated (with
their escalation rows, who held them, and a resolution breach for some), with assignees, teams,
categories and survey answers; people in three teams. Then `weekly_review` (what
`escalon review` and `/ui/review` run) reads the week before the last, timed three times.
Goal: under 10 s on PostgreSQL.

    python -m bench.review              # 1,000,000 cases
    python -m bench.review --tiny       # what CI runs: 20,000 cases
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Table

from bench.load import background_rows, insert_rows, next_ids, prepare
from bench.mail import fresh_postgres
from escalon.cases.models import ClockEvent, Escalation
from escalon.database import Database
from escalon.database.base import table_of
from escalon.database.migrate import upgrade
from escalon.learning.review import WEEK_US, week_of, weekly_review
from escalon.people import service as people
from escalon.people.schemas import AgentIn, TeamIn

GOAL_SECONDS = 10.0
HOUR_US = 3_600_000_000
TEAMS = {"frontline": 20, "supervisors": 5, "specialists": 5}
CATEGORIES = ("billing", "delivery", "account", "technical", "refund", "how-to")
CAUSES = ("product_bug", "billing_error", "missing_docs", "other")
RULES = ("first response breached", "escalation not acknowledged", "manual")
LEVELS = ("supervisor", "specialist", "management")


def staff(database: Database, now: int) -> list[str]:
    """The teams and their agents; the frontline handles."""
    handles = []
    with database.write() as session:
        for team, size in TEAMS.items():
            people.create_team(session, data=TeamIn(name=team), now=now)
            for number in range(size):
                handle = f"{team[:3]}{number}"
                people.create_agent(
                    session,
                    data=AgentIn(handle=handle, name=handle, level="frontline", teams=[team]),
                    now=now,
                )
                if team == "frontline":
                    handles.append(handle)
    return handles


def cases(
    database: Database, count: int, start: int, handles: list[str], rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Write `count` cases over 52 weeks from `start`; their escalation and breach rows."""
    workspace = prepare(database, now=start)
    ids = next_ids(database, count)
    span = 52 * WEEK_US
    escalations: list[dict[str, Any]] = []
    breaches: list[dict[str, Any]] = []

    def rows() -> Iterator[dict[str, Any]]:
        for row in background_rows(workspace, ids, start):
            case_id = row["id"]
            opened = start + rng.randrange(span)
            escalated = rng.random() < 0.33
            resolved = opened + rng.randrange(1, 72) * HOUR_US if rng.random() < 0.9 else None
            holder = rng.choice(handles)
            row.update(
                opened_at=opened,
                updated_at=resolved or opened,
                category=rng.choice(CATEGORIES),
                assignee=holder,
                team="frontline",
                escalations=1 if escalated else 0,
                status="resolved" if resolved else "open",
                resolved_at=resolved,
                resolution_business_seconds=None if resolved is None else (resolved - opened) / 1e6,
                root_cause_code=rng.choice(CAUSES) if resolved and escalated else None,
                root_cause="a cause" if resolved and escalated else None,
                survey_score=rng.randint(1, 5) if resolved and rng.random() < 0.3 else None,
            )
            if escalated:
                at = opened + rng.randrange(1, 8) * HOUR_US
                escalations.append(
                    {
                        "case_id": case_id,
                        "firing_key": f"{case_id}|bench|escalate",
                        "kind": "hierarchical",
                        "action": "escalate",
                        "from_level": "frontline",
                        "to_level": rng.choice(LEVELS),
                        "rule": rng.choice(RULES),
                        "trigger": "sla.breach",
                        "actor": "engine",
                        "holder": holder,
                        "at": at,
                        "recorded_at": at,
                    }
                )
                if rng.random() < 0.2:
                    breaches.append(
                        {
                            "case_id": case_id,
                            "metric": "resolution",
                            "cycle": 1,
                            "kind": "breach",
                            "at": at,
                        }
                    )
            yield row

    insert_rows(database, rows())
    return escalations, breaches


def copy_into(database: Database, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Rows into any table: COPY on PostgreSQL, a batched INSERT on SQLite."""
    names = [column.name for column in table.columns if column.name != "id"]
    if not database.is_postgresql:
        with database.write() as session:
            session.execute(table.insert(), list(rows))
        return
    raw = database.engine.raw_connection()
    try:
        with raw.cursor().copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join("\\N" if row.get(n) is None else str(row[n]) for n in names))
                buffer.write("\n")
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def measure(url: str, count: int, label: str) -> float:
    """Load a database, time the review three times; the median seconds."""
    database = Database(url)
    upgrade(database)
    rng = random.Random(7)
    now = time.time_ns() // 1000
    start = now - 52 * WEEK_US
    started = time.perf_counter()
    handles = staff(database, start)
    escalations, breaches = cases(database, count, start, handles, rng)
    copy_into(database, table_of(Escalation), escalations)
    copy_into(database, table_of(ClockEvent), breaches)
    if database.is_postgresql:
        # As autovacuum would after such a load: the planner needs the tables' real sizes.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as link:
            link.exec_driver_sql("ANALYZE")
    loaded = time.perf_counter() - started
    week = week_of(now).before().before()
    runs = []
    for _ in range(3):
        begun = time.perf_counter()
        with database.read() as session:
            review = weekly_review(session, week, now=now)
        runs.append(time.perf_counter() - begun)
    database.dispose()
    median = statistics.median(runs)
    verdict = (
        f" (goal under {GOAL_SECONDS:.0f} s: {'met' if median < GOAL_SECONDS else 'NOT met'})"
        if label == "PostgreSQL"
        else ""
    )
    print(
        f"{label}: {count:,} cases and {len(escalations):,} escalations loaded in {loaded:.0f} s; "
        f"review of {week.name} ({review.escalations:,} escalations, {len(review.causes)} causes): "
        f"median {median:.2f} s of {', '.join(f'{run:.2f}' for run in runs)}{verdict}"
    )
    return median


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Time the review on PostgreSQL (and SQLite with --sqlite)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="20,000 cases, for CI.")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--sqlite", action="store_true", help="Also on SQLite (a tenth as many).")
    args = parser.parse_args(argv)
    count = args.cases or (20_000 if args.tiny else 1_000_000)
    figures = {
        "postgresql_seconds": measure(fresh_postgres("escalon_bench_review"), count, "PostgreSQL")
    }
    if args.sqlite:
        import tempfile

        url = f"sqlite:///{tempfile.mkdtemp(prefix='escalon-review-')}/review.db"
        figures["sqlite_seconds"] = measure(url, count // 10, "SQLite")
    return figures


if __name__ == "__main__":
    main()
