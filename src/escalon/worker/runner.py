"""The worker's loops: timers, outbox delivery, the daily topics and the weekly review mail,
each in a thread, stopping gracefully.

Polling keeps the timers correct: after each tick the loop sleeps until the next due instant,
at most `worker_poll_seconds`. On PostgreSQL a LISTEN connection wakes it early when a request
makes a timer due sooner. When the database goes away the loops wait, reconnect and go on; what
fell due meanwhile fires at once, at its own due instant.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from escalon.database.dialect import NOTIFY_CHANNEL
from escalon.forecast import breach as breach_forecast
from escalon.learning import review_mail, topic_runs
from escalon.metrics import Metrics
from escalon.notifications.delivery import deliver_due
from escalon.services import Services
from escalon.web.review_page import render_review_mail
from escalon.worker.timers import next_due, tick

log = logging.getLogger("escalon.worker")
US = 1_000_000
MAX_BACKOFF_SECONDS = 5.0
# How often the topics loop looks whether today's run is due: a read, mostly finding nothing.
TOPICS_LOOK_SECONDS = 600.0
# A fit reads weeks of history: looked for hourly, done at most daily.
BREACH_MODEL_LOOK_SECONDS = 3600.0
# How often a due week's review is looked at again: a manager added (or opting back in) during
# the week gets it within this long.
REVIEW_MAIL_POLL_SECONDS = 60.0


class Loop:
    """Runs `step` until stopped; `step` returns how long to wait before the next one."""

    def __init__(self, name: str, step: Callable[[], float], stop: threading.Event) -> None:
        self.name = name
        self.step = step
        self.stop = stop
        self.wake = threading.Event()

    def run(self) -> None:
        """The loop body (a thread's target)."""
        failures = 0
        while not self.stop.is_set():
            try:
                wait = self.step()
                if failures:
                    log.info("%s: the database is back", self.name)
                failures = 0
            except DBAPIError as error:
                failures += 1
                wait = min(MAX_BACKOFF_SECONDS, 0.25 * 2**failures)
                if failures == 1 or failures % 20 == 0:
                    log.warning(
                        "%s: database unavailable (%s); retrying in %.1fs",
                        self.name,
                        str(error.orig).strip().splitlines()[0] if error.orig else error,
                        wait,
                    )
            except Exception:
                failures += 1
                wait = min(MAX_BACKOFF_SECONDS, 0.25 * 2**failures)
                log.exception("%s: step failed; retrying in %.1fs", self.name, wait)
            if wait > 0:
                self.wake.wait(wait)
                self.wake.clear()


class Worker:
    """The timer loop, the outbox loop, the topics loop and the review-mail loop over one database."""

    def __init__(
        self,
        services: Services,
        *,
        timers: bool = True,
        outbox: bool = True,
        topics: bool = True,
        metrics: Metrics | None = None,
        review: bool | None = None,
    ) -> None:
        self.services = services
        # Where the firing lag of every tick is observed (the process's /metrics).
        self.metrics = metrics
        self.stop_event = threading.Event()
        self.loops: list[Loop] = []
        if timers:
            self.loops.append(Loop("timers", self.timer_step, self.stop_event))
        if outbox:
            self.loops.append(Loop("outbox", self.outbox_step, self.stop_event))
        if topics:
            self.loops.append(Loop("topics", self.topics_step, self.stop_event))
            self.loops.append(Loop("breach-model", self.breach_model_step, self.stop_event))
        # The weekly review mail (ESCALON_REVIEW_MAIL) goes with the timers unless told.
        wanted = (services.settings.review_mail and timers) if review is None else review
        if wanted:
            self.loops.append(Loop("review-mail", self.review_mail_step, self.stop_event))
        self.threads: list[threading.Thread] = []
        self.listener: threading.Thread | None = None
        self.fired = 0
        self.delivered = 0
        self.ticks = 0
        self.topic_runs = 0

    def timer_step(self) -> float:
        """One tick; the seconds until the next is worth doing."""
        services = self.services
        settings = services.settings
        report = tick(
            services.database,
            now=services.clock.now_us(),
            batch=settings.worker_batch,
            clock=services.clock,
        )
        self.fired += report.escalations
        self.ticks += 1
        if self.metrics is not None:
            self.metrics.observe_tick(report.lags_us)
        if report.actions:
            log.info(
                "timers: %d case(s) claimed, %d action(s), %d escalation(s)%s",
                report.claimed,
                report.actions,
                report.escalations,
                f", {len(report.failed)} set aside" if report.failed else "",
            )
        if report.handed_out:
            log.info("timers: %d waiting case(s) handed out", report.handed_out)
        if report.claimed >= settings.worker_batch:
            return 0.0  # more are waiting
        upcoming = next_due(services.database)
        if upcoming is None:
            return settings.worker_poll_seconds
        until = (upcoming - services.clock.now_us()) / US
        return max(0.0, min(until, settings.worker_poll_seconds))

    def outbox_step(self) -> float:
        """One delivery batch; the seconds until the next."""
        services = self.services
        settings = services.settings
        report = deliver_due(services.database, clock=services.clock, settings=settings)
        self.delivered += report.delivered
        if report.claimed:
            log.info(
                "outbox: %d delivered, %d to retry, %d dead",
                report.delivered,
                report.retried,
                report.dead,
            )
        return 0.0 if report.claimed >= settings.outbox_batch else settings.outbox_poll_seconds

    def topics_step(self) -> float:
        """Today's topic run when it is due (`escalon.learning.topic_runs.refresh`); the seconds
        until the next look."""
        stored = topic_runs.refresh(self.services.database, clock=self.services.clock)
        if stored is not None:
            self.topic_runs += 1
            log.info(
                "topics: run %d stored, %d topic(s) in %d escalated case(s)",
                stored.run_id,
                stored.topics,
                stored.cases,
            )
        return TOPICS_LOOK_SECONDS

    def breach_model_step(self) -> float:
        """The day's breach model when the newest is a day old (`escalon.forecast.breach`)."""
        services = self.services
        stored = breach_forecast.refresh(services.database, now=services.clock.now_us())
        if stored is not None:
            log.info(
                "forecast: breach model %d fitted on %d case(s)", stored.model_id, stored.cases
            )
        return BREACH_MODEL_LOOK_SECONDS

    def review_mail_step(self) -> float:
        """Queue the due week's review for the managers who have not had it; the seconds until
        it is worth looking again."""
        services = self.services
        schedule = review_mail.Schedule.from_settings(services.settings)
        now = services.clock.now_us()
        queued = review_mail.send_due(
            services.database, schedule, now=now, render_html=render_review_mail
        )
        if queued.recipients:
            log.info(
                "review mail: week %s queued for %d manager(s)",
                queued.week.name,
                len(queued.recipients),
            )
        until = (schedule.next_at(now) - services.clock.now_us()) / US
        return max(0.0, min(until, REVIEW_MAIL_POLL_SECONDS))

    def start(self) -> None:
        """Start every loop in its own thread (and the PostgreSQL listener)."""
        for loop in self.loops:
            thread = threading.Thread(target=loop.run, name=f"escalon-{loop.name}", daemon=True)
            thread.start()
            self.threads.append(thread)
        if self.services.database.is_postgresql and any(
            loop.name == "timers" for loop in self.loops
        ):
            self.listener = threading.Thread(
                target=self._listen, name="escalon-listen", daemon=True
            )
            self.listener.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every loop to finish its current step, and wait for them."""
        self.stop_event.set()
        for loop in self.loops:
            loop.wake.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait(self) -> None:
        """Block until stopped."""
        while not self.stop_event.is_set():
            self.stop_event.wait(1.0)
        self.stop()

    def _listen(self) -> None:
        """Wake the timer loop on NOTIFY; reconnect when the database comes back."""
        import psycopg

        timers = next(loop for loop in self.loops if loop.name == "timers")
        url = self.services.database.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self.stop_event.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self.stop_event.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            timers.wake.set()
            except psycopg.Error:
                self.stop_event.wait(1.0)


class WorkerThread:
    """The worker embedded in `escalon serve`."""

    def __init__(self, services: Services, metrics: Metrics | None = None) -> None:
        self.worker = Worker(services, metrics=metrics)

    def start(self) -> None:
        """Start the loops."""
        self.worker.start()
        log.info("embedded worker started (timers, outbox and daily topics)")

    def stop(self) -> None:
        """Stop the loops after their current step."""
        self.worker.stop()
        log.info("embedded worker stopped")


def serve_metrics(host: str, port: int) -> Metrics:
    """This worker's metrics (its timers' firing lag) over HTTP for Prometheus, in a thread.

    No token is asked: the server listens on loopback unless told otherwise, and it shows only
    how this process runs, no business volumes (those are the API's /metrics).
    """
    from prometheus_client import start_http_server

    metrics = Metrics()
    start_http_server(port, addr=host, registry=metrics.registry)
    log.info("worker metrics on http://%s:%d/metrics", host, port)
    return metrics


def run_until_signalled(worker: Worker, install: Callable[[Any], None]) -> None:
    """Run a worker in the foreground until SIGTERM or SIGINT (installed by `install`)."""
    install(lambda *_: worker.stop_event.set())
    worker.start()
    worker.wait()
