"""Practice sessions: starting one in a new sandbox, finding it again, and ending it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.auth.models import User
from escalon.config import Settings
from escalon.core.signals import TextAnalyzer
from escalon.core.training.scenario import Scenario, scenario_from
from escalon.errors import Conflict, Forbidden, Invalid, NotFound
from escalon.training import sandbox
from escalon.training.models import PracticeSession, TrainingScenario

MODES = ("scripted", "role_play")
# Sessions one person may have running at once: each is a database file on disk.
MAX_RUNNING = 5
SPEEDS = (1.0, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True, slots=True)
class Started:
    """A new session: its key and the sandbox's case."""

    key: str
    case_id: int


def scenario_of(row: PracticeSession) -> Scenario:
    """The scenario as the session played it."""
    return scenario_from(row.scenario, f"session {row.key}")


@dataclass(frozen=True, slots=True)
class Plan:
    """What a new session needs, read from the installation before its sandbox is made."""

    scenario_id: int
    scenario: Scenario
    user_id: int
    username: str
    trainee: sandbox.Trainee
    policy_source: str
    mode: str
    role_player_id: int | None
    speed: float
    begins: int  # the sandbox's first instant


def plan(
    session: Session,
    *,
    settings: Settings,
    scenario_row: TrainingScenario,
    user: User,
    handle: str | None,
    now: int,
    speed: float | None = None,
    mode: str = "scripted",
    role_player: User | None = None,
) -> Plan:
    """Check that `user` may start practising a listed scenario now, and gather what the
    sandbox needs (reads only)."""
    if scenario_row.status != "listed":
        raise Invalid("this scenario is hidden: a supervisor must list it again first")
    if mode not in MODES:
        raise Invalid(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
    if mode == "role_play" and role_player is None:
        raise Invalid("a role-play needs the supervisor who plays the customer")
    if role_player is not None and role_player.role not in ("admin", "supervisor"):
        raise Forbidden("only a supervisor may play the customer")
    _check_running(session, user.id, user.username)
    speed = settings.training_speed if speed is None else speed
    if not 1 <= speed <= 3600:
        raise Invalid("the speed is 1 to 3600 times real time")
    trainee = sandbox.trainee_of(session, username=user.username, role=user.role, handle=handle)
    return Plan(
        scenario_id=scenario_row.id,
        scenario=scenario_from(scenario_row.body, scenario_row.slug),
        user_id=user.id,
        username=user.username,
        trainee=trainee,
        policy_source=sandbox.active_policy_source(session),
        mode=mode,
        role_player_id=role_player.id if role_player is not None else None,
        speed=speed,
        begins=sandbox.virtual_start(now, trainee.timezone),
    )


def _check_running(session: Session, user_id: int, username: str) -> None:
    running = session.scalar(
        select(func.count())
        .select_from(PracticeSession)
        .where(PracticeSession.trainee_user_id == user_id, PracticeSession.status == "running")
    )
    if (running or 0) >= MAX_RUNNING:
        raise Conflict(f"{username} has {MAX_RUNNING} practice sessions running: finish one first")


@dataclass(frozen=True, slots=True)
class Built:
    """A filled sandbox, not yet a session of the installation."""

    key: str
    seeded: sandbox.Seeded


def build(planned: Plan, *, settings: Settings, analyzer: TextAnalyzer | None) -> Built:
    """Make and fill the sandbox of a planned session (no transaction of the installation is
    open meanwhile: filling it takes a tenth of a second)."""
    key = secrets.token_urlsafe(18)
    made = sandbox.new_sandbox(settings, key)
    try:
        seeded = sandbox.seed(
            made,
            scenario=planned.scenario,
            trainee=planned.trainee,
            policy_source=planned.policy_source,
            at=planned.begins,
            analyzer=analyzer,
        )
    except BaseException:
        made.dispose()
        discard(settings, key)
        raise
    made.dispose()
    return Built(key, seeded)


def discard(settings: Settings, key: str) -> None:
    """Delete a sandbox that will not become a session."""
    sandbox.sandbox_path(settings, key).unlink(missing_ok=True)


def record(session: Session, planned: Plan, built: Built, *, now: int) -> Started:
    """The session's row, in the caller's transaction (the running limit checked again: two
    starts at once may both have planned)."""
    _check_running(session, planned.user_id, planned.username)
    scenario = planned.scenario
    session.add(
        PracticeSession(
            key=built.key,
            scenario_id=planned.scenario_id,
            scenario=scenario.document(),
            skill=scenario.skill,
            difficulty=scenario.difficulty,
            trainee_user_id=planned.user_id,
            trainee=planned.trainee.handle,
            mode=planned.mode,
            role_player_user_id=planned.role_player_id,
            speed=planned.speed,
            status="running",
            started_at=now,
            virtual_start=planned.begins,
            sandbox_case_id=built.seeded.case_id,
            sandbox_user_id=built.seeded.user_id,
            first_response_due=built.seeded.first_response_due,
        )
    )
    session.flush()
    return Started(built.key, built.seeded.case_id)


def play_of(row: PracticeSession) -> sandbox.Play:
    """What advancing a session's sandbox needs."""
    return sandbox.Play(
        case_id=row.sandbox_case_id,
        scenario=scenario_of(row),
        trainee=row.trainee,
        start=row.virtual_start,
        scripted=row.mode == "scripted",
    )


def by_key(session: Session, key: str, *, lock: bool = False) -> PracticeSession:
    """A session by its key (`lock`: held until the transaction ends); NotFound otherwise."""
    if not key or len(key) > 40:
        raise NotFound("no such practice session")
    query = select(PracticeSession).where(PracticeSession.key == key)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound("no such practice session")
    return row


def may_watch(row: PracticeSession, *, user_id: int, role: str) -> bool:
    """The trainee, the supervisor who plays the customer, and supervisors may look at it."""
    return user_id in (row.trainee_user_id, row.role_player_user_id) or role in (
        "admin",
        "supervisor",
    )


def sessions_of(session: Session, user_id: int, *, limit: int = 200) -> list[PracticeSession]:
    """A person's sessions, newest first."""
    return list(
        session.scalars(
            select(PracticeSession)
            .where(PracticeSession.trainee_user_id == user_id)
            .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
            .limit(limit)
        )
    )


def finish(
    row: PracticeSession, *, now: int, virtual_now: int, feedback: dict[str, Any], score: int
) -> None:
    """End a session with its feedback (the caller's transaction writes it)."""
    if row.status != "running":
        raise Invalid("this session has already ended")
    row.status = "finished"
    row.finished_at = now
    row.virtual_end = virtual_now
    row.feedback = feedback
    row.score = score


def prune(session: Session, *, settings: Settings, before: int) -> int:
    """Delete the sandboxes of sessions finished before `before` (their scores and feedback
    stay); how many files went."""
    finished = session.scalars(
        select(PracticeSession.key).where(
            PracticeSession.status == "finished", PracticeSession.finished_at < before
        )
    )
    gone = 0
    for key in finished:
        path = sandbox.sandbox_path(settings, key)
        if path.exists():
            path.unlink()
            gone += 1
    return gone
