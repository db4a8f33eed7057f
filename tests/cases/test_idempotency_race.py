"""Two requests with one Idempotency-Key at the same moment, on PostgreSQL: the second one,
blocked by the first's uncommitted key, gives way and nothing of it is written."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from escalon.cases import acting, idempotency, opening
from escalon.cases.models import Case
from escalon.cases.schemas import CaseCreate
from escalon.clock import ManualClock
from escalon.database import Database
from tests.builders.workspace import empty_postgres, seed


def _waiting_on_a_lock(database: Database) -> bool:
    with database.engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_the_second_of_two_racing_creates_gives_way(postgres_url: str, clock: ManualClock) -> None:
    database = Database(postgres_url, pool_size=4)
    empty_postgres(database)
    seed(database, clock)
    request = CaseCreate.model_validate({"customer": {"ref": "K"}, "subject": "twice"})
    actor = acting.Actor(1, "admin", "admin")
    first_written = threading.Event()
    release_first = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with database.write() as session:
            outcome["first"] = opening.open_case(
                session,
                request=request,
                actor=actor,
                now=clock.now_us(),
                analyzer=None,
                idempotency_key="same",
            )
            first_written.set()
            release_first.wait(30)

    def second() -> None:
        first_written.wait(30)
        try:
            with database.write() as session:
                opening.open_case(
                    session,
                    request=request,
                    actor=actor,
                    now=clock.now_us(),
                    analyzer=None,
                    idempotency_key="same",
                )
            outcome["second"] = "created"
        except idempotency.IdempotencyRace:
            outcome["second"] = "gave way"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock(database):  # the second request is blocked on the first's key
        assert time.monotonic() < deadline, "the second request never blocked"
        time.sleep(0.01)
    release_first.set()
    for thread in threads:
        thread.join()
    assert outcome["second"] == "gave way"
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
    database.dispose()
