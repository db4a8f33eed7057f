"""Many cases at once, for the worker's reliability tests and benchmarks.

Cases are built by the core itself (`engine.open_case`) and written straight into the tables, so
a million of them take seconds rather than hours through the API. `LOAD_POLICY` gives every
"due" case a first-response breach at a chosen instant; "background" cases are open but due
only weeks later, so they sit in the table without ever being claimed.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from escalon import keys
from escalon.cases.models import Case, Customer
from escalon.cases.service import case_columns
from escalon.config import Settings
from escalon.core import engine
from escalon.core.events import CaseOpened
from escalon.core.policy import Policy, parse_policy
from escalon.core.state import from_us
from escalon.database import Database
from escalon.database.base import table_of
from escalon.notifications.models import Webhook
from escalon.policies import service as policies

US = 1_000_000
FIRST_RESPONSE_US = 15 * 60 * US
RULE = "first response breached"

LOAD_POLICY = """\
name: load
version: 1
calendars:
  always: {timezone: UTC, hours: always}
priority:
  order: [P1, P2, P3, P4]
  default: P4
levels:
  - {name: frontline, team: frontline, authority: {refund: 50}}
  - {name: supervisor, team: supervisors, authority: {refund: 500}}
  - {name: specialist, team: specialists, authority: {refund: 5000}}
  - {name: management, team: management, authority: {refund: unlimited}}
slas:
  - name: urgent
    when: {priority: [P1]}
    calendar: always
    targets: {first_response: 15m, resolution: 4h}
  - name: background
    calendar: always
    targets: {first_response: 2000h, resolution: 4000h}
rules:
  - name: first response breached
    trigger: sla.breach
    metric: first_response
    do:
      - escalate: {up: 1}
      - notify: [NOTIFY]
      - notify_customer: escalated
  - name: escalation not acknowledged
    trigger: escalation.unacknowledged
    after: 30m
    do:
      - escalate: {up: 1}
"""


def load_policy_text(notify: str = "level_team") -> str:
    """The load policy; `notify` is whom the breach rule notifies (e.g. `webhook:ops`)."""
    return LOAD_POLICY.replace("NOTIFY", notify)


@dataclass(frozen=True, slots=True)
class Workspace:
    """A database prepared for load: its policy version and the one customer of every case."""

    database: Database
    policy_id: int
    policy: Policy
    customer_id: int


def prepare(database: Database, *, notify: str = "level_team", now: int) -> Workspace:
    """Store and activate the load policy and a customer (the schema must exist)."""
    with database.write() as session:
        version, _ = policies.upload(
            session, text=load_policy_text(notify), filename="load.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)
        customer_id = session.scalar(select(Customer.id).where(Customer.ref == "load"))
        if customer_id is None:
            customer = Customer(
                ref="load", name="Load Test", email=None, tier=None, created_at=now, updated_at=now
            )
            session.add(customer)
            session.flush()
            customer_id = customer.id
        policy_id = version.id
    policy = parse_policy(load_policy_text(notify), "load.yaml")
    return Workspace(database, policy_id, policy, int(customer_id))


def add_webhook(database: Database, *, name: str, url: str, secret: str, now: int) -> None:
    """Register a webhook endpoint, its secret sealed with the keys the database's workers use."""
    bench_keys()
    sealed = keys.load(Settings(database_url=database.url)).seal(secret)
    with database.write() as session:
        session.add(Webhook(name=name, url=url, secret_sealed=sealed, active=True, created_at=now))


def next_ids(database: Database, count: int) -> range:
    """`count` fresh case ids (PostgreSQL's sequence moves past them)."""
    with database.write() as session:
        start = int(session.scalar(select(func.coalesce(func.max(Case.id), 0))) or 0) + 1
        if database.is_postgresql:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :last)"),
                {"last": start + count - 1},
            )
    return range(start, start + count)


def _row(workspace: Workspace, case_id: int, opened_at: int, priority: str) -> dict[str, Any]:
    event = CaseOpened(
        at=from_us(opened_at),
        case=str(case_id),
        customer="load",
        priority=priority,
        channel="api",
        subject=f"load case {case_id}",
    )
    state = engine.open_case(workspace.policy, event, at_us=opened_at).state
    row = case_columns(state, workspace.policy)
    row.update(
        id=case_id,
        customer_id=workspace.customer_id,
        policy_version_id=workspace.policy_id,
        subject=f"load case {case_id}",
        opened_at=opened_at,
        updated_at=opened_at,
        version=1,
    )
    return row


def due_rows(workspace: Workspace, ids: Sequence[int], dues: Sequence[int]) -> list[dict[str, Any]]:
    """Rows of cases whose first response breaches at the given instants."""
    return [
        _row(workspace, case_id, due - FIRST_RESPONSE_US, "P1")
        for case_id, due in zip(ids, dues, strict=True)
    ]


def background_rows(
    workspace: Workspace, ids: Iterable[int], opened_at: int
) -> Iterator[dict[str, Any]]:
    """Rows of open cases due only weeks later (one state built, the others copied from it)."""
    template: dict[str, Any] | None = None
    for case_id in ids:
        if template is None:
            template = _row(workspace, case_id, opened_at, "P4")
            marker = f'"case":"{case_id}"'
            assert marker in template["state"]
            first = case_id
        row = dict(template)
        row["id"] = case_id
        row["subject"] = f"load case {case_id}"
        row["state"] = template["state"].replace(f'"case":"{first}"', f'"case":"{case_id}"', 1)
        yield row


def insert_rows(database: Database, rows: Iterable[dict[str, Any]], *, chunk: int = 5000) -> int:
    """Write case rows: COPY on PostgreSQL, batched INSERT on SQLite. Returns how many."""
    if database.is_postgresql:
        return _copy_rows(database, rows)
    written = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            written += _insert(database, batch)
            batch = []
    if batch:
        written += _insert(database, batch)
    return written


def _insert(database: Database, batch: list[dict[str, Any]]) -> int:
    with database.write() as session:
        session.execute(insert(table_of(Case)), batch)
    return len(batch)


def _copy_rows(database: Database, rows: Iterable[dict[str, Any]]) -> int:
    columns = [column.name for column in table_of(Case).columns]
    written = 0
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        names = ", ".join(columns)
        with cursor.copy(f"COPY cases ({names}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_value(row.get(name)) for name in columns))
                buffer.write("\n")
                written += 1
                if written % 20_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()
    return written


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text_value = str(value)
    return text_value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# -- worker processes --------------------------------------------------------------------------


def escalon_command() -> list[str]:
    """How to run the `escalon` command line of this environment."""
    return [sys.executable, "-m", "escalon"]


@dataclass
class WorkerProcess:
    """An `escalon worker` subprocess and where its log goes."""

    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        self.process.kill()
        self.process.wait()

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the graceful exit; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        """What it logged."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def bench_keys() -> None:
    """Give this run's processes one set of keys, as an operator gives them (ESCALON_KEYS):
    made once per run, unless the environment has keys already. A benchmark's database is
    thrown away, and its keys with it."""
    os.environ.setdefault("ESCALON_KEYS", keys.encode_secret(keys.new_master_key().secret))


def start_worker(
    database_url: str,
    log: Path,
    *,
    batch: int = 500,
    extra_env: dict[str, str] | None = None,
    arguments: Sequence[str] = (),
) -> WorkerProcess:
    """Start `escalon worker` on a database, logging to `log`."""
    bench_keys()
    env = {
        **os.environ,
        "ESCALON_DATABASE_URL": database_url,
        "ESCALON_WORKER_BATCH": str(batch),
        "ESCALON_WORKER_POLL_SECONDS": "0.2",
        "ESCALON_OUTBOX_POLL_SECONDS": "0.2",
        **(extra_env or {}),
    }
    handle = log.open("ab")
    process = subprocess.Popen(
        [*escalon_command(), "worker", *arguments], env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    return WorkerProcess(process, log)


def wait_for(condition: Any, *, timeout: float, every: float = 0.2, what: str = "") -> float:
    """Poll `condition()` until true; returns the seconds it took (TimeoutError after `timeout`)."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what or condition}")
        time.sleep(every)
