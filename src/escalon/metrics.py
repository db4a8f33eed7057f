"""Prometheus metrics: what the database holds, read at scrape time, and how late timers fire.

Counts that live in the database (cases by status, escalations fired, the outbox's backlog and
dead letters, inbound mail by status) are read when Prometheus scrapes, so every API process
answers the same. The firing lag is measured where timers fire, in each worker (the embedded one
shows in the API's `/metrics`, a separate `escalon worker` on `--metrics-port`). Names start with
`escalon_`; docs/operations.md lists them and says who may read them.

Like the API and the worker, this module sits on top: it reads the domains' tables, and no
domain imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from escalon import __version__
from escalon.cases.models import Case, Escalation
from escalon.channels.models import InboundEmail
from escalon.core.events import STATUS_VALUES
from escalon.database import Database
from escalon.notifications.models import OutboxMessage

CONTENT_TYPE = CONTENT_TYPE_LATEST
US = 1_000_000
# From "on time" (a poll interval is 1 s) to "the worker was down for an hour".
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
ESCALATION_ACTIONS = ("escalate", "de-escalate", "route")


class Metrics:
    """One process's metrics: its own registry (no module-wide state), rendered on demand."""

    def __init__(self, database: Database | None = None) -> None:
        """With a database, the counts it holds are read at every scrape."""
        self.registry = CollectorRegistry(auto_describe=False)
        self.firing_lag = Histogram(
            "escalon_timer_firing_lag_seconds",
            "How late each due timer fired: when a worker of this process claimed the case, "
            "minus the instant it was due",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.ticks = Counter(
            "escalon_worker_ticks",
            "Timer ticks the workers of this process ran",
            registry=self.registry,
        )
        if database is not None:
            self.registry.register(DatabaseCounts(database))

    def observe_tick(self, lags_us: Iterable[int]) -> None:
        """A tick ran and fired timers this late (µs after each was due)."""
        self.ticks.inc()
        for lag in lags_us:
            self.firing_lag.observe(max(lag, 0) / US)

    def render(self) -> bytes:
        """The metrics in Prometheus's text format."""
        return generate_latest(self.registry)


class DatabaseCounts(Collector):
    """The counts kept in the database, read when Prometheus scrapes (a few GROUP BYs)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: describing would need the database."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Every count, or only `escalon_database_up 0` when the database cannot be read."""
        info = GaugeMetricFamily("escalon_build_info", "Escalon's version", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        up = GaugeMetricFamily(
            "escalon_database_up", "1 when the counts could be read from the database, else 0"
        )
        try:
            with self.database.read() as session:
                cases = _counts(session, Case.status)
                moves = _counts(session, Escalation.action)
                outbox = _counts(
                    session, OutboxMessage.status, OutboxMessage.status.in_(("pending", "dead"))
                )
                mails = _counts(session, InboundEmail.status)
        except DBAPIError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        by_status = GaugeMetricFamily("escalon_cases", "Cases by status", labels=["status"])
        for status in sorted({*STATUS_VALUES, *cases}):
            by_status.add_metric([status], cases.get(status, 0))
        yield by_status
        fired = CounterMetricFamily(
            "escalon_escalations_fired",
            "Moves of cases recorded (escalate, de-escalate, route), by the engine or by people",
            labels=["action"],
        )
        for action in sorted({*ESCALATION_ACTIONS, *moves}):
            fired.add_metric([action], moves.get(action, 0))
        yield fired
        yield GaugeMetricFamily(
            "escalon_outbox_backlog",
            "Outbox messages waiting to be delivered (pending)",
            value=outbox.get("pending", 0),
        )
        yield GaugeMetricFamily(
            "escalon_outbox_dead_letters",
            "Outbox messages given up after every attempt (dead): retry them or look why",
            value=outbox.get("dead", 0),
        )
        intake = GaugeMetricFamily(
            "escalon_inbound_emails", "Inbound e-mails by status", labels=["status"]
        )
        for status, count in sorted(mails.items()):
            intake.add_metric([status], count)
        yield intake


def _counts(session: Session, column: Any, *conditions: Any) -> dict[str, int]:
    """How many rows have each value of `column` (an indexed GROUP BY)."""
    query = select(column, func.count()).where(*conditions).group_by(column)
    return {str(value): int(count) for value, count in session.execute(query)}
