"""Replies benchmark: agents' replies delivered per second through the outbox to a real SMTP
server on loopback (aiosmtpd, in its own thread), on SQLite and PostgreSQL.

Cases are opened by customers' e-mails through intake (so replies answer a real thread), their
acknowledgements are delivered first, then every reply is written as the API writes it (the
message and its outbox row in one transaction) and the delivery loop sends them in batches: each
reply is rendered from its template, threaded, signed with its status link and handed over SMTP
on one connection per message, as the worker does. Writing and delivering are timed apart.

    python -m bench.replies            # 1,000 replies per database
    python -m bench.replies --tiny     # what CI runs
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.mail import fresh_postgres, prepared
from escalon import keys
from escalon.cases import acting, messages
from escalon.cases.schemas import MessageIn
from escalon.channels.mail import receive_email
from escalon.clock import SystemClock
from escalon.composition import open_database
from escalon.config import Settings
from escalon.database import Database
from escalon.notifications.delivery import deliver_due

TEXT = (
    "Hello,\n\nthank you for your patience. We found the double charge and refunded it today; "
    "it shows on your statement within three working days.\n\nKind regards"
)


@dataclass
class Counter:
    """An aiosmtpd handler that counts the mails it accepts (and keeps none)."""

    received: int = 0
    bytes: int = 0
    threaded: int = 0
    senders: set[str] = field(default_factory=set)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Accept the mail."""
        content = envelope.original_content or b""
        self.received += 1
        self.bytes += len(content)
        self.threaded += b"In-Reply-To:" in content
        return "250 OK"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"customer{number}@example.org"
    message["To"] = "support@escalon.example"
    message["Subject"] = f"Charged twice, order {number}"
    message["Message-ID"] = f"<bench-reply-{number}@example.org>"
    message.set_content("I was charged twice for my order. Please refund one of them.")
    return message.as_bytes()


def measure(label: str, url: str, count: int, port: int, counter: Counter) -> dict[str, float]:
    """Replies written and delivered per second on one database."""
    settings = Settings(
        database_url=url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        outbox_batch=200,
        public_url="https://help.example.com",
    )
    database: Database = open_database(settings, prepared(url))
    clock = SystemClock()
    cases = [
        received.case_id
        for number in range(count)
        if (received := receive_email(database, _mail(number), now=clock.now_us(), source="smtp"))
        and received.case_id is not None
    ]
    while deliver_due(database, clock=clock, settings=settings).claimed:
        pass  # the acknowledgements
    counter.received = counter.threaded = 0
    actor = acting.Actor(None, "ana", "agent", "ana")
    started = time.perf_counter()
    for case_id in cases:
        with database.write() as session:
            messages.post_message(
                session,
                case_id=case_id,
                request=MessageIn(author="agent", body=TEXT),
                actor=actor,
                now=clock.now_us(),
                analyzer=None,
                deliver=True,
            )
    writing = time.perf_counter() - started
    started = time.perf_counter()
    delivered = 0
    while True:
        report = deliver_due(database, clock=clock, settings=settings)
        if not report.claimed:
            break
        delivered += report.delivered
        if report.errors:
            raise SystemExit(f"delivery failed: {report.errors[:3]}")
    sending = time.perf_counter() - started
    database.dispose()
    assert delivered == counter.received == len(cases), (delivered, counter.received)
    assert counter.threaded == len(cases)
    figures = {
        "written_per_second": len(cases) / writing,
        "delivered_per_second": delivered / sending,
    }
    print(
        f"  {label}: {figures['delivered_per_second']:,.0f} replies delivered/s over SMTP "
        f"({delivered:,} in {sending:.1f} s, all in the customer's thread); "
        f"written {figures['written_per_second']:,.0f}/s (message + outbox row)"
    )
    return figures


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Replies through the outbox to aiosmtpd on loopback, on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="A short run, for CI.")
    parser.add_argument("--replies", type=int, default=1000)
    args = parser.parse_args(argv)
    count = 20 if args.tiny else args.replies
    print(f"replies benchmark: {count:,} replies per database, SMTP on loopback (aiosmtpd)")
    keys.install(keys.Keyring.generate(source="a key made for this benchmark"))
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite = measure("SQLite", f"sqlite:///{folder}/replies.db", count, port, counter)
        postgres = measure(
            "PostgreSQL", fresh_postgres("escalon_bench_replies"), count, port, counter
        )
    finally:
        controller.stop()
    figures = {
        "sqlite_delivered_per_second": sqlite["delivered_per_second"],
        "sqlite_written_per_second": sqlite["written_per_second"],
        "postgresql_delivered_per_second": postgres["delivered_per_second"],
        "postgresql_written_per_second": postgres["written_per_second"],
    }
    print(json.dumps({name: round(value) for name, value in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
