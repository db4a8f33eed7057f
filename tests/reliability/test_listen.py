"""On PostgreSQL a request that makes a timer due soon wakes a sleeping worker at once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from escalon.cases import acting, opening
from escalon.cases.models import Escalation
from escalon.cases.schemas import CaseCreate
from escalon.clock import SystemClock
from escalon.config import Settings
from escalon.database import Database
from escalon.demo import policy_text
from escalon.policies import service as policies
from escalon.services import Services
from escalon.triage.lazy import LazyAnalyzer
from escalon.worker.runner import Worker

# Times a wake-up: it runs alone, after the other tests.
pytestmark = pytest.mark.serial

US = 1_000_000


def test_a_notify_wakes_a_worker_long_before_its_next_poll(postgresql_database: Database) -> None:
    database = postgresql_database
    clock = SystemClock()
    # The example policy, with a critical first response of two seconds.
    quick = policy_text().replace(
        "targets: {first_response: 15m, next_response: 30m",
        "targets: {first_response: 2s, next_response: 30m",
    )
    assert quick != policy_text()
    with database.write() as session:
        version, _ = policies.upload(
            session, text=quick, filename="policy.yaml", user_id=None, now=clock.now_us()
        )
        policies.activate(session, version_id=version.id, user_id=None, now=clock.now_us())
    # Without a wake-up the worker would sleep a whole minute between looks.
    settings = Settings(database_url=database.url, worker_poll_seconds=60)
    worker = Worker(Services(database, clock, settings, LazyAnalyzer()), outbox=False)
    worker.start()
    try:
        started = time.monotonic()
        while worker.ticks == 0:  # its first (empty) look; then it goes to sleep
            assert time.monotonic() - started < 20
            time.sleep(0.01)
        # A critical case: its first response is due two seconds from now.
        with database.write() as session:
            opening.open_case(
                session,
                request=CaseCreate.model_validate(
                    {"customer": {"ref": "K"}, "priority": "P1", "subject": "down"}
                ),
                actor=acting.Actor(None, "test", "admin"),
                now=clock.now_us(),
                analyzer=None,
            )
        started = time.monotonic()
        while _escalations(database) == 0:
            assert time.monotonic() - started < 20, "the worker slept through the NOTIFY"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert time.monotonic() - started < 20


def _escalations(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(Escalation)) or 0)
