"""A practice session's sandbox: its own SQLite database, its own clock, and nothing delivered.

The sandbox holds a copy of what the trainee needs to work one case as they would for real:
their agent (same level, teams and authority), one colleague at each higher level to receive an
escalation, the installation's active policy, and the scenario's customer. The customer is
`customer@training.invalid` (a domain that can never receive mail) and every outbox row the
sandbox writes is marked `captured` as soon as the session moves on: there is no delivery loop
for a sandbox, and the status says so to anyone who looks.

Rules that read the customer's words (a manager request, anger) are left out of the sandbox's
policy: recognising them is the exercise. The clocks, breaches and the rules they fire stay, so
an answer that comes late has the consequences it would have.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.auth import service as auth
from escalon.cases import approvals, authority, messages, opening, updating
from escalon.cases import escalation as case_escalation
from escalon.cases.acting import Actor
from escalon.cases.models import ApprovalRequest, Case, Message
from escalon.cases.models import Escalation as EscalationRow
from escalon.cases.schemas import ApprovalDecisionIn, CaseCreate, CustomerIn, MessageIn
from escalon.clock import Clock
from escalon.config import Settings
from escalon.core.signals import TextAnalyzer
from escalon.core.state import from_us, to_us
from escalon.core.training.scenario import Scenario
from escalon.core.training.script import Due, Said, due_steps
from escalon.database import Database
from escalon.database.migrate import head_revision, upgrade
from escalon.errors import Conflict
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import CustomerMessages
from escalon.people import service as people
from escalon.people.models import Agent
from escalon.people.schemas import AgentIn, TeamIn
from escalon.policies import service as policies
from escalon.policies.models import PolicyVersion

CUSTOMER_REF = "training-customer"
CUSTOMER_EMAIL = "customer@training.invalid"
CAPTURED = "captured"
CAPTURED_NOTE = "training sandbox: captured, never sent to anyone"
# The customer's side, as the audit trail names who posted their messages.
CUSTOMER_ACTOR = Actor(None, "training", "admin")
# Triggers that read the customer's words: left to the trainee in practice.
WORD_TRIGGERS = frozenset({"customer.message", "customer.sentiment_drop"})
WORD_CONDITIONS = frozenset({"intent", "sentiment_below", "contains", "language"})

# Ticks the sandbox's timers up to an instant (the worker's tick, handed in from above).
Tick = Callable[[Database, int], None]


@dataclass(frozen=True, slots=True)
class Trainee:
    """Who practises, as the sandbox makes them again."""

    username: str
    role: str
    handle: str
    name: str
    level: str | None
    teams: tuple[str, ...]
    authority: dict[str, float | str] | None
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Seeded:
    """What a new sandbox holds that the session needs to find again."""

    case_id: int
    user_id: int
    token_id: int
    token_hash: str
    first_response_due: int | None


def training_dir(settings: Settings) -> Path:
    """Where sandboxes live: ESCALON_TRAINING_DIR, else beside the SQLite database, else
    `escalon-training` in the working folder."""
    if settings.training_dir is not None:
        return settings.training_dir
    url = settings.database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        database = Path(url.removeprefix("sqlite:///"))
        return database.with_name(database.name + ".training")
    return Path("escalon-training")


def sandbox_settings(settings: Settings, url: str) -> Settings:
    """The installation's settings as a sandbox runs under them: its own database, no mail
    server whatever the installation's, and no customer link signed (a sandbox case's id may be
    a real case's: a signed link to it would open the real one)."""
    return settings.model_copy(
        update={
            "database_url": url,
            "smtp_host": None,
            "public_url": "",
            "practice_sandbox": True,
            # The trainee follows their case wherever it goes (to a supervisor, to finance).
            "case_visibility": "all",
        }
    )


def sandbox_path(settings: Settings, key: str) -> Path:
    """The sandbox file of a session (its key is random and URL-safe)."""
    return training_dir(settings) / f"{key}.sqlite3"


def new_sandbox(settings: Settings, key: str) -> Database:
    """A fresh, migrated sandbox database, copied from a template migrated once per schema."""
    folder = training_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    template = folder / f"template-{head_revision()}.sqlite3"
    if not template.exists():
        # Built beside and renamed into place, so two processes never copy a half-made one.
        handle, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
        os.close(handle)
        made = Database(f"sqlite:///{partial}")
        try:
            upgrade(made)
        finally:
            made.dispose()
        os.replace(partial, template)
    target = sandbox_path(settings, key)
    shutil.copyfile(template, target)
    os.chmod(target, 0o600)
    url = f"sqlite:///{target}"
    made = Database(url)
    CustomerMessages.from_settings(sandbox_settings(settings, url)).install(made.info)
    return made


def practice_policy(source: str) -> str:
    """The active policy without the rules that read the customer's words."""
    document = yaml.safe_load(source)
    rules = document.get("rules") or []
    kept = [rule for rule in rules if not _reads_words(rule)]
    document["rules"] = kept
    document["name"] = f"{document.get('name', 'policy')} (practice)"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _reads_words(rule: dict[str, Any]) -> bool:
    if rule.get("trigger") in WORD_TRIGGERS:
        return True
    conditions = rule.get("if") or {}
    return isinstance(conditions, dict) and bool(WORD_CONDITIONS & set(conditions))


def active_policy_source(session: Session) -> str:
    """The installation's active policy text; Conflict when none is active."""
    source = session.scalar(select(PolicyVersion.source).where(PolicyVersion.active))
    if source is None:
        raise Conflict("no policy is active: activate one before practising")
    return source


def trainee_of(session: Session, *, username: str, role: str, handle: str | None) -> Trainee:
    """The person who practises, read from the installation (their agent when they have one)."""
    agent = session.scalar(select(Agent).where(Agent.handle == handle)) if handle else None
    if agent is None:
        return Trainee(username, role, username, username, None, (), None)
    return Trainee(
        username,
        role,
        agent.handle,
        agent.name,
        agent.level,
        tuple(team.name for team in agent.teams),
        dict(agent.authority) if agent.authority else None,
        agent.timezone or "UTC",
    )


def seed(
    db: Database,
    *,
    scenario: Scenario,
    trainee: Trainee,
    policy_source: str,
    at: int,
    analyzer: TextAnalyzer | None,
) -> Seeded:
    """Fill a new sandbox and open the scenario's case at `at` (the sandbox's start)."""
    text = practice_policy(policy_source)
    with db.write() as session:
        version, _ = policies.upload(
            session, text=text, filename="practice-policy.yaml", user_id=None, now=at
        )
        policies.activate(session, version_id=version.id, user_id=None, now=at)
        policy = policies.compiled(session, version.id)
        level = trainee.level if trainee.level in policy.level_index else policy.levels[0].name
        home = policy.levels[policy.level_index[level]].team
        for team in sorted(policy.teams | set(trainee.teams) | {home}):
            people.create_team(session, data=TeamIn(name=team), now=at)
        people.create_agent(
            session,
            data=AgentIn(
                handle=trainee.handle,
                name=trainee.name,
                level=level,
                teams=list(trainee.teams) or [home],
                authority=trainee.authority,
                timezone=trainee.timezone,
            ),
            now=at,
        )
        # One colleague on each higher level, so an escalation has somebody to go to.
        for spec in policy.levels[policy.level_index[level] + 1 :]:
            people.create_agent(
                session,
                data=AgentIn(
                    handle=_coach(spec.name),
                    name=f"{spec.name.capitalize()} (training)",
                    level=spec.name,
                    teams=[spec.team],
                ),
                now=at,
            )
        user = auth.create_user(
            session, username=trainee.username, role=trainee.role, now=at, agent=trainee.handle
        )
        token, _secret = auth.create_token(session, user=user, now=at, name="practice")
        facts = scenario.case
        opened = opening.open_case(
            session,
            request=CaseCreate(
                customer=CustomerIn(
                    ref=CUSTOMER_REF,
                    name=scenario.customer,
                    email=CUSTOMER_EMAIL,
                    tier=facts.tier,
                ),
                subject=facts.subject,
                body=scenario.opening.say,
                channel=facts.channel,
                category=facts.category,
                priority=facts.priority,
                team=home,
            ),
            actor=CUSTOMER_ACTOR,
            now=at,
            analyzer=analyzer,
        )
        _mark_step(session, opened.case_id, 0)
        updating.assign_case(
            session,
            case_id=opened.case_id,
            assignee=trainee.handle,
            actor=Actor(None, "training", "admin"),
            now=at,
            if_match=None,
        )
        capture_outbox(session)
        case = session.get(Case, opened.case_id)
        due = case.due_at if case is not None and case.due_clock == "first_response" else None
        return Seeded(opened.case_id, user.id, token.id, token.token_hash, due)


def _mark_step(session: Session, case_id: int, step: int) -> None:
    """Remember which script step a customer message was (the newest message of the case)."""
    newest = session.scalars(
        select(Message).where(Message.case_id == case_id).order_by(Message.id.desc()).limit(1)
    ).first()
    if newest is not None:
        newest.details = {**(newest.details or {}), "training_step": step}


def capture_outbox(session: Session) -> int:
    """Mark every message the sandbox meant to send as captured; how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "pending")
        .values(status=CAPTURED, last_error=CAPTURED_NOTE, next_attempt_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class Written:
    """One message of the practice case, the customer's or an agent's."""

    at: int
    by_customer: bool
    author: str
    body: str
    public: bool
    step: int | None  # the script step a customer's message was


def written(session: Session, case_id: int) -> list[Written]:
    """The practice case's messages by the customer and by agents, oldest first."""
    rows = session.execute(
        select(
            Message.at,
            Message.author_kind,
            Message.author,
            Message.body,
            Message.public,
            Message.details,
        )
        .where(Message.case_id == case_id)
        .where(Message.author_kind.in_(("customer", "agent")))
        .order_by(Message.at, Message.id)
    ).all()
    return [
        Written(
            at,
            kind == "customer",
            author,
            body or "",
            bool(public),
            (details or {}).get("training_step") if kind == "customer" else None,
        )
        for at, kind, author, body, public, details in rows
    ]


def conversation(session: Session, case_id: int, *, start: int) -> list[Said]:
    """The case's public messages as the script reads them (µs since `start`)."""
    return [
        Said(item.at - start, item.by_customer, item.body, item.step)
        for item in written(session, case_id)
        if item.public
    ]


def first_escalation(session: Session, case_id: int, *, by: str, start: int) -> int | None:
    """When the trainee first escalated the case (µs since `start`), if they did."""
    at = session.scalar(
        select(EscalationRow.at)
        .where(EscalationRow.case_id == case_id, EscalationRow.actor == by)
        .where(EscalationRow.action.in_(("escalate", "route")))
        .order_by(EscalationRow.at)
        .limit(1)
    )
    return None if at is None else at - start


@dataclass(frozen=True, slots=True)
class Play:
    """What `advance` needs to know of a session."""

    case_id: int
    scenario: Scenario
    trainee: str  # the trainee's handle: whose escalations are their decisions
    start: int  # the sandbox's instant when the session began (µs)
    scripted: bool


# How long the sandbox's colleagues take, on the practice clock: a supervisor acknowledges an
# escalation to their level, and decides a request for approval within their authority.
ACKNOWLEDGE_AFTER_US = 5 * 60 * 1_000_000
DECIDE_AFTER_US = 10 * 60 * 1_000_000


@dataclass(frozen=True, slots=True)
class Move:
    """Something the sandbox does at an instant: the customer's next step or a colleague's act."""

    at: int
    step: int | None = None  # the customer's script step
    approval: int | None = None  # a colleague decides this request
    acknowledge: str | None = None  # a colleague (this handle) acknowledges the escalation


def advance(
    db: Database,
    play: Play,
    *,
    now: int,
    tick: Tick,
    analyzer: TextAnalyzer | None,
) -> list[int]:
    """Bring the sandbox up to `now`: every customer message due by then and every act of the
    colleagues on the higher levels, each at its own instant, and the timers in between;
    returns the script steps sent.

    Each move is written in a write transaction that first checks it is still the next one
    (SQLite's write lock makes that check and the write one step), so two requests advancing
    the same sandbox at once make it once.
    """
    sent: list[int] = []
    while True:
        with db.read() as session:
            move = _next_move(session, play)
        if move is None or move.at > now:
            break
        tick(db, move.at)
        with db.write() as session:
            if _next_move(session, play) != move:
                continue
            _make(session, play, move, analyzer)
            capture_outbox(session)
        if move.step is not None:
            sent.append(move.step)
    tick(db, now)
    with db.write() as session:
        capture_outbox(session)
    return sent


def _next_move(session: Session, play: Play) -> Move | None:
    """The earliest of the customer's next step and the colleagues' next act."""
    moves: list[Move] = []
    due = _next_due(session, play)
    if due is not None:
        moves.append(Move(play.start + due.at, step=due.step))
    moves.extend(_colleagues(session, play))
    return min(moves, key=lambda move: move.at, default=None)


def _colleagues(session: Session, play: Play) -> list[Move]:
    """What the colleagues on the higher levels will do: acknowledge an escalation waiting for
    their level, decide a request for approval that needs their authority."""
    case = session.get(Case, play.case_id)
    if case is None:
        return []
    moves: list[Move] = []
    if case.awaiting_ack and _here(session, _coach(case.level)):
        escalated = session.scalar(
            select(EscalationRow.at)
            .where(EscalationRow.case_id == play.case_id, EscalationRow.action == "escalate")
            .order_by(EscalationRow.id.desc())
            .limit(1)
        )
        if escalated is not None:
            moves.append(Move(escalated + ACKNOWLEDGE_AFTER_US, acknowledge=_coach(case.level)))
    policy = policies.compiled(session, case.policy_version_id)
    for approval in session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.case_id == play.case_id, ApprovalRequest.status == "pending"
        )
    ):
        level = authority.needed_level(policy, approval.kind, approval.amount)
        if level is not None and _here(session, _coach(level)):
            moves.append(Move(approval.requested_at + DECIDE_AFTER_US, approval=approval.id))
    return moves


def _coach(level: str) -> str:
    return f"coach-{level}"[:100]


def _here(session: Session, handle: str) -> bool:
    """Whether the sandbox has this colleague (one per level above the trainee's)."""
    return session.scalar(select(Agent.id).where(Agent.handle == handle)) is not None


def _make(session: Session, play: Play, move: Move, analyzer: TextAnalyzer | None) -> None:
    """Make one move in the caller's transaction."""
    if move.step is not None:
        messages.post_message(
            session,
            case_id=play.case_id,
            request=MessageIn(author="customer", body=play.scenario.script[move.step].say),
            actor=CUSTOMER_ACTOR,
            now=move.at,
            analyzer=analyzer,
        )
        _mark_step(session, play.case_id, move.step)
    elif move.acknowledge is not None:
        colleague = Actor(None, move.acknowledge, "supervisor", move.acknowledge)
        case_escalation.acknowledge(
            session, case_id=play.case_id, actor=colleague, now=move.at, if_match=None
        )
    elif move.approval is not None:
        approval = session.get(ApprovalRequest, move.approval)
        if approval is None:
            return
        case = session.get(Case, play.case_id)
        policy = policies.compiled(session, case.policy_version_id) if case else None
        level = authority.needed_level(policy, approval.kind, approval.amount) if policy else None
        if level is None:
            return
        colleague = Actor(None, _coach(level), "supervisor", _coach(level))
        approvals.decide_approval(
            session,
            approval_id=approval.id,
            request=ApprovalDecisionIn(
                decision="approve", note="Approved in practice by the training colleague."
            ),
            actor=colleague,
            now=move.at,
        )


def _next_due(session: Session, play: Play) -> Due | None:
    said = conversation(session, play.case_id, start=play.start)
    escalated = first_escalation(session, play.case_id, by=play.trainee, start=play.start)
    due = due_steps(play.scenario, said, escalated_at=escalated, scripted=play.scripted)
    return due[0] if due else None


def write_as_customer(
    db: Database, play: Play, *, text: str, now: int, analyzer: TextAnalyzer | None
) -> None:
    """A message the supervisor playing the customer writes (role-play)."""
    with db.write() as session:
        messages.post_message(
            session,
            case_id=play.case_id,
            request=MessageIn(author="customer", body=text),
            actor=CUSTOMER_ACTOR,
            now=now,
            analyzer=analyzer,
        )
        capture_outbox(session)


def case_status(session: Session, case_id: int) -> str:
    """The sandbox case's status."""
    return session.scalar(select(Case.status).where(Case.id == case_id)) or "open"


def virtual_start(real_now: int, timezone: str = "UTC") -> int:
    """Where a sandbox's clock starts: 10:00 in the trainee's time zone on the latest Tuesday at
    least a day before the real instant, within office hours wherever the team works, so the
    SLA clocks run from the first message."""
    try:
        zone: tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    moment = from_us(real_now).astimezone(zone)
    days_back = (moment.weekday() - 1) % 7 or 7
    day = (moment - timedelta(days=days_back)).date()
    return to_us(datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone))


@dataclass(frozen=True, slots=True)
class PracticeClock:
    """The sandbox's clock: the installation's clock, `speed` times as fast from the session's
    start, standing still once the session ended."""

    real: Clock
    real_start: int
    virtual_start: int
    speed: float
    real_end: int | None = None

    def now_us(self) -> int:
        """The sandbox's current instant."""
        real = self.real.now_us()
        if self.real_end is not None:
            real = min(real, self.real_end)
        return self.virtual_start + round(max(real - self.real_start, 0) * self.speed)
