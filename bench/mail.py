"""Inbound e-mail benchmark: mails parsed and stored per second, on SQLite and PostgreSQL.

The mails are built from real consumer complaints (../shared/data/cfpb): 60 % open a case, 30 %
are replies that quote the earlier mail under a reply header and carry a signature (threaded by
In-Reply-To, quoted history stripped), 10 % carry a 100 kB attachment. Each goes through
`receive_email` as the SMTP endpoint calls it: raw mail committed first, then parsed, threaded
and written. Parsing alone is measured too, to show where the time goes.

    python -m bench.mail             # 2,000 mails per database
    python -m bench.mail --tiny      # what CI runs
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import psycopg

from escalon.channels.email import parse_email
from escalon.channels.mail import receive_email
from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.demo import policy_text
from escalon.policies import service as policies

SERVER = "postgresql://root@127.0.0.1:5432"
DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "cfpb"
    / "complaints-sample.csv"
)


def narratives(limit: int) -> list[str]:
    """Complaint narratives to use as mail bodies (the file's first two lines are not CSV)."""
    text = DATA.read_text(encoding="utf-8", errors="replace")
    rows = csv.DictReader(io.StringIO(text.split("\n", 2)[2]))
    found = [
        row["Consumer complaint narrative"]
        for row in rows
        if row.get("Consumer complaint narrative")
    ]
    return found[:limit] or ["My account was charged twice and nobody answers."]


def build_mails(count: int, seed: int = 7) -> list[bytes]:
    """`count` raw mails: new cases, quoting replies and mails with attachments."""
    chooser = random.Random(seed)
    bodies = narratives(2000)
    mails: list[bytes] = []
    sent: list[tuple[str, str, str]] = []  # (message id, sender, body) of earlier mails
    for number in range(count):
        body = bodies[number % len(bodies)][:4000]
        sender = f"customer{chooser.randrange(count // 2 + 1)}@example.org"
        message = EmailMessage()
        message["To"] = "support@escalon.example"
        message["Message-ID"] = f"<bench-{number}@example.org>"
        roll = chooser.random()
        if sent and roll < 0.3:
            earlier_id, sender, earlier = chooser.choice(sent)
            message["Subject"] = "Re: my complaint"
            message["In-Reply-To"] = earlier_id
            quoted = "\n".join(f"> {line}" for line in earlier.splitlines()[:30])
            body = (
                f"{body[:600]}\n\nBest regards,\nA customer\n--\nSent from my phone\n\n"
                f"On Mon, Nov 30, 2026 at 10:00 AM Support <support@escalon.example> wrote:\n"
                f"{quoted}\n"
            )
        else:
            message["Subject"] = f"Complaint {number}"
        message["From"] = sender
        message.set_content(body)
        if roll > 0.9:
            message.add_attachment(
                chooser.randbytes(100_000),
                maintype="application",
                subtype="octet-stream",
                filename=f"statement-{number}.pdf",
            )
        mails.append(message.as_bytes())
        sent.append((f"<bench-{number}@example.org>", sender, body))
    return mails


def prepared(url: str) -> Database:
    """A migrated database with the example policy active."""
    database = Database(url)
    upgrade(database)
    now = time.time_ns() // 1000
    with database.write() as session:
        version, _ = policies.upload(
            session, text=policy_text(), filename="policy.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)
    return database


def fresh_postgres(name: str) -> str:
    with psycopg.connect(f"{SERVER}/test", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://root@127.0.0.1:5432/{name}"


def measure(label: str, url: str, mails: list[bytes]) -> float:
    """Mails per second through receive_email into one database."""
    database = prepared(url)
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for raw in mails:
        received = receive_email(database, raw, now=time.time_ns() // 1000, source="smtp")
        outcomes[received.outcome] = outcomes.get(received.outcome, 0) + 1
    elapsed = time.perf_counter() - started
    database.dispose()
    rate = len(mails) / elapsed
    print(f"  {label}: {rate:,.0f} mails/s ({len(mails):,} in {elapsed:.1f} s; {outcomes})")
    return rate


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Parse-only rate, then stored-and-threaded rates on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="A short run, for CI.")
    parser.add_argument("--mails", type=int, default=2000)
    args = parser.parse_args(argv)
    count = 60 if args.tiny else args.mails
    mails = build_mails(count)
    size = sum(len(raw) for raw in mails) / len(mails)
    print(f"inbound e-mail benchmark: {count:,} mails, {size / 1024:.1f} kB on average")
    parse_email(mails[0])  # the reply parser compiles its patterns once, at first use
    started = time.perf_counter()
    for raw in mails:
        parse_email(raw)
    parsing = count / (time.perf_counter() - started)
    print(f"  parsing alone (MIME, reply stripping, attachments): {parsing:,.0f} mails/s")
    with tempfile.TemporaryDirectory() as folder:
        sqlite = measure("SQLite, stored and threaded", f"sqlite:///{folder}/mail.db", mails)
    postgres = measure(
        "PostgreSQL, stored and threaded", fresh_postgres("escalon_bench_mail"), mails
    )
    figures = {
        "parse_per_second": parsing,
        "sqlite_per_second": sqlite,
        "postgresql_per_second": postgres,
    }
    print(json.dumps({name: round(value) for name, value in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
