"""Sliding-window rate limits whose counts every process shares through the database.

Each limit counts hits per subject in fixed windows (rows of `rate_counters`) and decides on an
estimate of the sliding window: this window's hits plus the previous window's, weighted by the
part of the previous window the sliding window still covers.

A process does not write each hit. It keeps, per counter, the shared counts it last read and
the hits it has counted since, and decides on their sum; it adds its hits to the shared row
(one upsert, which also reads back what every process has added) when a counter has `batch`
unsynced hits, and `flush()` does it for every counter at a steady pace. So a request far
below its limit costs no database write, and a busy counter is written once per batch by each
process rather than by every request. The price: a process decides without the hits others
counted since it last synced, and may count up to `batch` hits more before it syncs again, so
N processes may let up to (N - 1) x batch hits beyond a limit through in a window. One process
alone is exact.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from escalon.clock import Clock
from escalon.database import Database
from escalon.database.dialect import insert_with_conflicts
from escalon.ratelimits.models import RateCounter

log = logging.getLogger("escalon.ratelimits")

US = 1_000_000
SWEEP_EVERY = 4096  # hits between sweeps of the counters this process no longer needs


@dataclass(frozen=True, slots=True)
class Rule:
    """At most `limit` hits per subject in any window of `window_us` (a limit of 0: no limit)."""

    name: str
    limit: int
    window_us: int

    @property
    def enabled(self) -> bool:
        """Whether the rule limits anything."""
        return self.limit > 0

    def key(self, subject: str) -> str:
        """The counter's key: the rule and a digest of the subject."""
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"{self.name}:{digest}"


@dataclass(slots=True)
class _Counter:
    """What this process knows of one counter."""

    rule: Rule
    window: int  # the current window's start (µs)
    shared: int = 0  # the current window's count as last read from the database
    previous: int = 0  # the previous window's count as last known (stale hits included)
    pending: int = 0  # hits counted here, not yet added to the database
    stale: int = 0  # hits of the previous window not yet added to the database
    syncing: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """A decision: `wait` seconds before the next hit may pass (None: it passed and was
    counted); `due` names the counters to sync now (`SharedLimiter.sync`)."""

    wait: float | None
    due: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the hit passed."""
        return self.wait is None


@dataclass(slots=True)
class _Batch:
    """Hits taken out of counters for one sync."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)  # key -> window synced


class SharedLimiter:
    """The rate limits of one process, counted in the database with every other process's."""

    def __init__(self, database: Database, clock: Clock, *, sync_hits: int) -> None:
        self.database = database
        self.clock = clock
        self.sync_hits = max(1, sync_hits)
        self._counters: dict[str, _Counter] = {}
        self._lock = threading.Lock()
        self._hits = 0

    def batch(self, rule: Rule) -> int:
        """Unsynced hits a counter of `rule` may hold: fewer for small limits, so that what
        other processes do not see yet stays a small part of the limit."""
        return max(1, min(self.sync_hits, rule.limit // 10))

    # -- deciding (no I/O) -----------------------------------------------------------------

    def hit(self, hits: Iterable[tuple[Rule, str]]) -> Verdict:
        """Count one hit on each (rule, subject); or, when any of them is at its limit, count
        nothing and say how long to wait. Does no I/O: sync the `due` counters after."""
        now = self.clock.now_us()
        with self._lock:
            self._hits += 1
            if self._hits % SWEEP_EVERY == 0:
                self._sweep(now)
            counters = [
                (key, self._counter(rule, key, now))
                for rule, subject in hits
                if rule.enabled
                for key in (rule.key(subject),)
            ]
            wait = max((self._wait(counter, now) for _key, counter in counters), default=0)
            if wait > 0:
                return Verdict(wait / US)
            due = []
            for key, counter in counters:
                counter.pending += 1
                if counter.pending >= self.batch(counter.rule) and not counter.syncing:
                    due.append(key)
            return Verdict(None, tuple(due))

    def peek(self, rule: Rule, subject: str) -> float | None:
        """Seconds to wait before a hit on (rule, subject) could pass; None if it could now.
        Counts nothing."""
        now = self.clock.now_us()
        with self._lock:
            if not rule.enabled:
                return None
            counter = self._counter(rule, rule.key(subject), now)
            wait = self._wait(counter, now)
        return wait / US if wait > 0 else None

    def _counter(self, rule: Rule, key: str, now: int) -> _Counter:
        window = now - now % rule.window_us
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = _Counter(rule, window)
        elif counter.window != window:
            self._roll(counter, window)
        return counter

    @staticmethod
    def _roll(counter: _Counter, window: int) -> None:
        """Move a counter into a later window."""
        if window == counter.window + counter.rule.window_us:
            counter.previous = counter.shared + counter.pending
            # Unsynced hits of the window before that no longer count for anything.
            counter.stale = counter.pending
        else:  # a whole window without hits: nothing of the old ones counts any more
            counter.previous = 0
            counter.stale = 0
        counter.window = window
        counter.shared = 0
        counter.pending = 0

    @staticmethod
    def _wait(counter: _Counter, now: int) -> int:
        """Microseconds until one more hit fits under the limit (0: it fits now)."""
        limit = counter.rule.limit
        length = counter.rule.window_us
        elapsed = now - counter.window
        current = counter.shared + counter.pending
        previous = counter.previous
        if current + 1 > limit:
            # Not before the next window; there, this window's hits weigh as `previous` does:
            # one more fits once current x (1 - f) <= limit - 1.
            return (length - elapsed) + _ceil_div((current - limit + 1) * length, current)
        # One more fits once previous x (1 - f) + current <= limit - 1, f = elapsed / length.
        room = limit - 1 - current
        if previous * (length - elapsed) <= room * length:
            return 0
        return max(1, _ceil_div((previous - room) * length, previous) - elapsed)

    # -- sharing (I/O) ---------------------------------------------------------------------

    def take(self, hits: Iterable[tuple[Rule, str]]) -> float | None:
        """`hit`, then sync what is due (blocking: call from a worker thread)."""
        verdict = self.hit(hits)
        if verdict.due:
            self.sync(verdict.due)
        return verdict.wait

    def sync(self, keys: Sequence[str] | None = None) -> None:
        """Add this process's unsynced hits on `keys` (all counters: None) to the shared
        counters and read back every process's counts. A failed write keeps the hits for the
        next sync; the decisions meanwhile rest on what this process knows."""
        batch = self._take_pending(keys)
        if not batch.counters:
            return
        try:
            counts = self._write(batch)
        except SQLAlchemyError as error:
            log.warning("rate limits not shared this time (kept for the next sync): %s", error)
            self._give_back(batch)
            return
        self._apply(batch, counts)

    def flush(self) -> None:
        """Sync every counter with unsynced hits (the steady pace: a background thread)."""
        self.sync(None)

    def sweep_database(self) -> int:
        """Delete counters whose windows no longer matter; the number deleted."""
        now = self.clock.now_us()
        with self.database.write() as session:
            result = session.execute(
                delete(RateCounter)
                .where(RateCounter.expires_at < now)
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def _take_pending(self, keys: Sequence[str] | None) -> _Batch:
        batch = _Batch()
        with self._lock:
            chosen = self._counters.keys() if keys is None else keys
            for key in chosen:
                counter = self._counters.get(key)
                if counter is None or counter.syncing:
                    continue
                if keys is None and not (counter.pending or counter.stale):
                    continue
                length = counter.rule.window_us
                for window, hits in (
                    (counter.window, counter.pending),
                    (counter.window - length, counter.stale),
                ):
                    if hits:
                        batch.rows.append(
                            {
                                "key": key,
                                "window_start": window,
                                "count": hits,
                                "expires_at": window + 2 * length,
                            }
                        )
                # Counted as shared from now on (`previous` includes the stale hits already).
                counter.shared += counter.pending
                counter.pending = counter.stale = 0
                counter.syncing = True
                batch.counters[key] = counter.window
        return batch

    def _give_back(self, batch: _Batch) -> None:
        with self._lock:
            for row in batch.rows:
                counter = self._counters.get(row["key"])
                if counter is None:
                    continue
                if row["window_start"] == counter.window:
                    counter.shared -= row["count"]
                    counter.pending += row["count"]
                elif row["window_start"] == counter.window - counter.rule.window_us:
                    counter.stale += row["count"]
            for key in batch.counters:
                if key in self._counters:
                    self._counters[key].syncing = False

    def _write(self, batch: _Batch) -> dict[tuple[str, int], int]:
        """Upsert the hits (in key order, so concurrent syncs lock rows in one order) and
        read every synced counter's recent windows."""
        rows = sorted(batch.rows, key=lambda row: (row["key"], row["window_start"]))
        keys = sorted(batch.counters)
        with self.database.write() as session:
            if rows:
                session.execute(_upsert(session), rows)
            found = session.execute(
                select(RateCounter.key, RateCounter.window_start, RateCounter.count).where(
                    RateCounter.key.in_(keys)
                )
            )
            return {(str(key), int(start)): int(count) for key, start, count in found}

    def _apply(self, batch: _Batch, counts: dict[tuple[str, int], int]) -> None:
        with self._lock:
            for key, window in batch.counters.items():
                counter = self._counters.get(key)
                if counter is None:
                    continue
                counter.syncing = False
                length = counter.rule.window_us
                current = counts.get((key, window), 0)
                before = counts.get((key, window - length), 0)
                if counter.window == window:
                    # The database holds what every process added, this one's batch included.
                    counter.shared = max(counter.shared, current)
                    counter.previous = max(counter.previous, before)
                elif counter.window == window + length:  # it rolled over meanwhile
                    counter.previous = max(counter.previous, current)

    def _sweep(self, now: int) -> None:
        """Forget counters whose windows are over and that hold nothing unsynced."""
        stale = [
            key
            for key, counter in self._counters.items()
            if now - counter.window >= 2 * counter.rule.window_us
            and not (counter.pending or counter.stale or counter.syncing)
        ]
        for key in stale:
            del self._counters[key]


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _upsert(session: Session) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding the hits to the row's count."""
    statement = insert_with_conflicts(session, RateCounter)
    return statement.on_conflict_do_update(
        index_elements=[RateCounter.key, RateCounter.window_start],
        set_={"count": RateCounter.count + statement.excluded.count},
    )
