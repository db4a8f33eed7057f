"""Topic runs over escalated cases, on SQLite and PostgreSQL: stored whole, new and growing
topics marked, and the worker's run claimed once a day by one worker."""

from __future__ import annotations

import threading
from typing import cast

from fastapi import FastAPI
from sqlalchemy import func, select

from escalon.cases import visibility
from escalon.learning import topic_runs
from escalon.learning.models import RunTopic, TopicCase, TopicRun
from escalon.services import Services
from escalon.worker.runner import Worker
from tests.builders.cases import open_case
from tests.builders.causes import escalated_case
from tests.builders.topics import NOW, escalated_themes, themed_case
from tests.builders.workspace import Workspace

DAY_HOURS = 24


def latest(ws: Workspace) -> topic_runs.LatestRun:
    with ws.database.read() as session:
        found = topic_runs.latest(session, scope=visibility.EVERYTHING)
    assert found is not None
    return found


def members(ws: Workspace) -> dict[int, set[int]]:
    """Each stored topic's cases, by topic id."""
    with ws.database.read() as session:
        rows = session.execute(select(TopicCase.topic_id, TopicCase.case_id))
        found: dict[int, set[int]] = {}
        for topic_id, case_id in rows:
            found.setdefault(topic_id, set()).add(case_id)
    return found


def runs(ws: Workspace) -> list[tuple[str, str, int]]:
    """(source, status, attempts) of every stored run, oldest first."""
    with ws.database.read() as session:
        rows = session.execute(
            select(TopicRun.source, TopicRun.status, TopicRun.attempts).order_by(TopicRun.id)
        )
        return [(source, status, attempts) for source, status, attempts in rows]


def worker(ws: Workspace) -> Worker:
    """A worker with only its topics loop, over the workspace's services."""
    services = cast(Services, cast(FastAPI, ws.client.app).state.services)
    return Worker(services, timers=False, outbox=False)


def test_a_run_stores_each_escalated_case_in_its_topic_with_counts_now_and_before(
    workspace: Workspace,
) -> None:
    themed = escalated_themes(workspace)
    quiet = open_case(workspace, subject="Refund the double charge", body="charged twice")["id"]
    stored = topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    assert (stored.cases, stored.topics) == (32, 4)
    found = latest(workspace)
    assert (found.cases, found.period_cases, found.earlier_cases) == (32, 19, 13)
    assert found.source == "command"
    grouped = members(workspace)
    assert quiet not in set().union(*grouped.values())  # never escalated
    by_theme = {}
    for topic in found.topics:
        theme = next(
            name
            for name in ("refund", "password", "parcel", "crash")
            if grouped[topic.id] == themed.of(name)
        )
        by_theme[theme] = topic
        assert set(topic.samples) <= grouped[topic.id]
    assert [topic.id for topic in found.topics] == [
        by_theme[name].id for name in ("parcel", "crash", "refund", "password")
    ]
    assert [(t.period_cases, t.earlier_cases, t.new, t.growing) for t in found.topics] == [
        (5, 0, True, False),
        (8, 1, False, True),
        (6, 6, False, False),
        (0, 6, False, False),
    ]
    assert "parcel" in by_theme["parcel"].words


def test_a_shorter_window_leaves_older_cases_out(workspace: Workspace) -> None:
    escalated_themes(workspace)
    stored = topic_runs.store_now(workspace.database, clock=workspace.clock, weeks=5, count=3)
    assert stored.cases == sum(NOW.values())
    found = latest(workspace)
    assert found.earlier_cases == 0
    # Without a case before the period there is nothing to be new or to grow against.
    assert not any(topic.new or topic.growing for topic in found.topics)


def test_before_any_run_there_are_no_topics_and_the_api_says_how_to_get_them(
    workspace: Workspace,
) -> None:
    with workspace.database.read() as session:
        assert topic_runs.latest(session, scope=visibility.EVERYTHING) is None
    answer = workspace.client.get("/api/v1/topics", headers=workspace.headers("agent"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"run": None, "topics": [], "note": topic_runs.NO_RUN_YET}


def test_the_worker_finds_topics_at_most_once_a_day_and_only_after_new_escalations(
    workspace: Workspace,
) -> None:
    looking = worker(workspace)
    open_case(workspace)  # not escalated: nothing to group
    looking.topics_step()
    assert runs(workspace) == []
    for number in range(3):
        themed_case(workspace, "refund", number)
        themed_case(workspace, "password", number)
    looking.topics_step()
    assert runs(workspace) == [("worker", "done", 1)]
    themed_case(workspace, "parcel", 0)  # escalated the same day: tomorrow's run takes it
    looking.topics_step()
    assert len(runs(workspace)) == 1
    workspace.clock.advance(hours=DAY_HOURS)
    looking.topics_step()
    looking.topics_step()
    assert runs(workspace) == [("worker", "done", 1)] * 2
    assert latest(workspace).cases == 7
    workspace.clock.advance(hours=DAY_HOURS)
    looking.topics_step()  # nothing escalated since: no run
    assert len(runs(workspace)) == 2
    assert looking.topic_runs == 2


def test_two_workers_looking_at_once_compute_one_run(workspace: Workspace) -> None:
    for number in range(3):
        themed_case(workspace, "refund", number)
        themed_case(workspace, "crash", number)
    workers = [worker(workspace), worker(workspace)]
    together = threading.Barrier(len(workers))

    def look(one: Worker) -> None:
        together.wait()
        one.topics_step()

    threads = [threading.Thread(target=look, args=(one,)) for one in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert runs(workspace) == [("worker", "done", 1)]
    assert sum(one.topic_runs for one in workers) == 1


def test_a_run_whose_worker_died_is_taken_over_once_its_lease_ran_out(
    workspace: Workspace,
) -> None:
    for number in range(3):
        themed_case(workspace, "refund", number)
        themed_case(workspace, "parcel", number)
    with workspace.database.write() as session:  # a worker claims today's run, then dies
        dead = topic_runs.claim_daily(session, now=workspace.clock.now_us())
    assert dead is not None
    looking = worker(workspace)
    looking.topics_step()
    assert runs(workspace) == [("worker", "running", 1)]  # its lease still holds
    workspace.clock.advance(minutes=31)
    looking.topics_step()
    assert runs(workspace) == [("worker", "done", 2)]
    kept = members(workspace)
    # The first attempt, had it only been slow, finds its claim gone and stores nothing.
    late = topic_runs.complete(workspace.database, dead, clock=workspace.clock)
    assert late is None
    assert members(workspace) == kept
    assert runs(workspace) == [("worker", "done", 2)]


def test_a_run_that_keeps_dying_is_given_up_for_the_day(workspace: Workspace) -> None:
    escalated_case(workspace)
    for _ in range(topic_runs.MAX_ATTEMPTS):
        with workspace.database.write() as session:
            assert topic_runs.claim_daily(session, now=workspace.clock.now_us()) is not None
        workspace.clock.advance(minutes=31)
    with workspace.database.write() as session:
        assert topic_runs.claim_daily(session, now=workspace.clock.now_us()) is None
    assert runs(workspace) == [("worker", "failed", topic_runs.MAX_ATTEMPTS)]


def test_only_the_latest_runs_are_kept(workspace: Workspace) -> None:
    for number in range(2):
        themed_case(workspace, "refund", number)
        themed_case(workspace, "crash", number)
    stored = [
        topic_runs.store_now(workspace.database, clock=workspace.clock, count=2)
        for _ in range(topic_runs.KEEP_RUNS + 2)
    ]
    with workspace.database.read() as session:
        kept = set(session.scalars(select(TopicRun.id)))
        topics_of = set(session.scalars(select(RunTopic.run_id)))
        cases_of = set(session.scalars(select(TopicCase.run_id)))
        rows = session.scalar(select(func.count()).select_from(TopicCase))
    assert kept == {run.run_id for run in stored[2:]}
    assert topics_of == cases_of == kept
    assert rows == 4 * topic_runs.KEEP_RUNS
