"""Time django-helpdesk's `escalate_tickets` over a freshly seeded database.

Run with the helpdesk venv's python (see harness.py), for example:
    python bench/helpdesk/run.py --open 100000 --due 10000 \
        --database postgresql://127.0.0.1:5432/helpdesk_bench --json

The database is recreated from scratch: a SQLite file is deleted, a PostgreSQL database is
dropped and created again from a maintenance database (postgres, else test) on the same server.
One queue escalates after one day; of the N open tickets exactly D are overdue for escalation.
Only the `escalate_tickets` call is timed; the result is then checked against D.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # settings.py and urls.py live next to this file

CHUNK = 20_000
MAINTENANCE_DATABASES = ("postgres", "test")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, required=True, help="Open tickets to seed.")
    parser.add_argument("--due", type=int, required=True, help="How many are due to escalate.")
    parser.add_argument("--database", required=True, help="sqlite:////path or postgresql://...")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    if not 0 <= args.due <= args.open:
        parser.error("need 0 <= --due <= --open")
    return args


def recreate_database(config: dict[str, Any]) -> None:
    """Start from nothing: delete the SQLite file, or drop and create the PostgreSQL database."""
    if config["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(config["NAME"] + suffix).unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    params = {key.lower(): config[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    params = {key: value for key, value in params.items() if value}
    if config["NAME"] in MAINTENANCE_DATABASES:
        raise SystemExit(f"refusing to drop the maintenance database {config['NAME']!r}")
    errors = []
    for maintenance in MAINTENANCE_DATABASES:
        try:
            admin = psycopg.connect(dbname=maintenance, autocommit=True, **params)
        except psycopg.OperationalError as error:
            errors.append(str(error).strip())
            continue
        with admin:
            name = sql.Identifier(config["NAME"])
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        return
    raise SystemExit("cannot reach a maintenance database: " + " | ".join(errors))


def due_flags(open_cases: int, due_cases: int) -> Iterator[bool]:
    """Yield, ticket by ticket, whether it is due; exactly due_cases True, evenly spread."""
    for i in range(open_cases):
        yield (i + 1) * due_cases // open_cases != i * due_cases // open_cases


def seed(open_cases: int, due_cases: int) -> int:
    """Create the queue and the tickets; return the queue's id."""
    from django.db import connection, transaction
    from django.utils import timezone
    from helpdesk.models import Queue, Ticket

    queue = Queue.objects.create(
        title="Benchmark",
        slug="bench",
        email_address="support@example.com",
        escalate_days=1,
    )
    now = timezone.now()
    long_ago = now - timedelta(days=10)
    two_days_ago = now - timedelta(days=2)
    an_hour_ago = now - timedelta(hours=1)
    # (created, last_escalation) pairs, used in turn. Due: created before the one-day window
    # and never escalated, or last escalated before it. Not due: created inside the window, or
    # created long ago but last escalated inside it.
    due_kinds = [(long_ago, None), (long_ago, two_days_ago)]
    recent_kinds = [(an_hour_ago, None), (long_ago, an_hour_ago)]

    names = "title created modified submitter_email status on_hold description priority"
    names += " last_escalation queue secret_key"
    fields = [Ticket._meta.get_field(name) for name in names.split()]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(Ticket._meta.db_table)

    def db_time(value: Any) -> Any:
        return None if value is None else fields[1].get_db_prep_value(value, connection)

    due_kinds = [(db_time(a), db_time(b)) for a, b in due_kinds]
    recent_kinds = [(db_time(a), db_time(b)) for a, b in recent_kinds]

    def rows() -> Iterator[tuple[Any, ...]]:
        seen = {True: 0, False: 0}
        for i, due in enumerate(due_flags(open_cases, due_cases)):
            created, escalated = (due_kinds if due else recent_kinds)[seen[due] % 2]
            seen[due] += 1
            yield (
                f"Benchmark ticket {i}",
                created,
                created,
                f"customer{i}@example.com",
                Ticket.OPEN_STATUS,
                False,
                "due" if due else "recent",
                2 + i % 4,  # 2..5: the command never escalates priority 1
                escalated,
                queue.pk,
                str(uuid.uuid4()),
            )

    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(row)
        raw.execute(f"ANALYZE {table}")
    else:
        statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(fields))})"
        batch: list[tuple[Any, ...]] = []
        with transaction.atomic():  # one transaction (Django keeps sqlite3 in autocommit)
            for row in rows():
                batch.append(row)
                if len(batch) == CHUNK:
                    raw.executemany(statement, batch)
                    batch.clear()
            raw.executemany(statement, batch)
        raw.execute(f"ANALYZE {table}")
    return int(queue.pk)


def main(argv: list[str] | None = None) -> int:
    """Recreate, migrate, seed, time escalate_tickets, verify, report."""
    args = parse_args(argv)
    os.environ["HELPDESK_DATABASE_URL"] = args.database
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
    import django
    from django.conf import settings

    recreate_database(settings.DATABASES["default"])
    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from helpdesk.models import FollowUp, Ticket, TicketChange

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    seed(args.open, args.due)
    seeded = time.perf_counter()
    priority_before = sum(Ticket.objects.values_list("priority", flat=True).iterator(10_000))

    mail.outbox = []
    since = timezone.now()
    begin = time.perf_counter()
    call_command("escalate_tickets")
    seconds = time.perf_counter() - begin

    escalated = Ticket.objects.filter(last_escalation__gte=since).count()
    checks = {
        "tickets open": (Ticket.objects.count(), args.open),
        "tickets escalated": (escalated, args.due),
        "escalated tickets that were due": (
            Ticket.objects.filter(last_escalation__gte=since, description="due").count(),
            args.due,
        ),
        "priority lowered by": (
            priority_before
            - sum(Ticket.objects.values_list("priority", flat=True).iterator(10_000)),
            args.due,
        ),
        "follow-ups written": (FollowUp.objects.count(), args.due),
        "ticket changes written": (TicketChange.objects.count(), args.due),
        "mails built (one per submitter)": (len(mail.outbox), args.due),
    }
    wrong = [
        f"{what}: {got}, expected {want}" for what, (got, want) in checks.items() if got != want
    ]
    if wrong:
        print("VERIFICATION FAILED\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1

    result = {
        "open": args.open,
        "due": args.due,
        "database": connection.vendor,
        "seconds": round(seconds, 4),
        "escalated": escalated,
        "per_second": round(escalated / seconds, 1) if seconds > 0 else None,
        "mails_built": len(mail.outbox),
        "seed_seconds": round(seeded - migrated, 2),
        "migrate_seconds": round(migrated - started, 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"escalate_tickets on {result['database']}: {escalated} of {args.open} open tickets "
            f"escalated in {seconds:.2f} s ({result['per_second']}/s), "
            f"{len(mail.outbox)} mails built; seeding took {seeded - migrated:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
