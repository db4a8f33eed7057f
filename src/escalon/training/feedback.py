"""What a practice session shows and how it is scored: the sandbox read back as an attempt."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases import authority
from escalon.cases.models import ApprovalRequest, Case, Message
from escalon.cases.models import Escalation as EscalationRow
from escalon.core.training.attempt import ApprovalMove, Attempt, Escalation, Reply
from escalon.core.training.scoring import score
from escalon.notifications.models import OutboxMessage
from escalon.people.models import Agent
from escalon.policies import service as policies
from escalon.services import Services
from escalon.training import practice, sandbox
from escalon.training.models import PracticeSession


@dataclass(frozen=True, slots=True)
class Line:
    """One message of the conversation as the session page shows it."""

    at: int
    who: str
    text: str
    by_customer: bool
    public: bool


@dataclass(frozen=True, slots=True)
class Captured:
    """A message the sandbox would have sent, kept instead."""

    at: int
    kind: str
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Seen:
    """A session as its page shows it."""

    now: int
    lines: list[Line]
    captured: list[Captured]
    status: str
    level: str
    escalations: int


def looked_at(parts: Services, row: PracticeSession) -> Seen:
    """The sandbox's conversation, captured messages and case, as of its clock."""
    with parts.database.read() as session:
        case = session.get(Case, row.sandbox_case_id)
        messages = sandbox.written(session, row.sandbox_case_id)
        # A reply's outbox row carries no text of its own: its words are the agent's message.
        outbox = session.execute(
            select(
                OutboxMessage.created_at,
                OutboxMessage.kind,
                OutboxMessage.address,
                OutboxMessage.subject,
                func.coalesce(func.nullif(OutboxMessage.body, ""), Message.body, ""),
            )
            .outerjoin(Message, Message.id == OutboxMessage.case_message_id)
            .where(OutboxMessage.status == sandbox.CAPTURED)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ).all()
    scenario = practice.scenario_of(row)
    return Seen(
        now=parts.clock.now_us(),
        lines=[
            Line(
                item.at,
                scenario.customer if item.by_customer else item.author,
                item.body,
                item.by_customer,
                item.public,
            )
            for item in messages
        ],
        captured=[Captured(*found) for found in outbox],
        status=case.status if case is not None else "open",
        level=case.level if case is not None else "",
        escalations=case.escalations if case is not None else 0,
    )


def attempt_of(session: Session, row: PracticeSession, *, end: int) -> Attempt:
    """What the trainee did in the sandbox (`session` is the sandbox's), in µs since the start."""
    start = row.virtual_start
    case_id = row.sandbox_case_id
    handle = row.trainee
    messages = sandbox.written(session, case_id)
    escalations = session.execute(
        select(
            EscalationRow.at,
            EscalationRow.action,
            EscalationRow.to_level,
            EscalationRow.to_team,
            EscalationRow.from_level,
            EscalationRow.actor,
            EscalationRow.rule,
            EscalationRow.reason,
            EscalationRow.trigger,
        )
        .where(EscalationRow.case_id == case_id)
        .where(EscalationRow.action.in_(("escalate", "route")))
        .order_by(EscalationRow.at, EscalationRow.id)
    ).all()
    approvals = list(
        session.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.case_id == case_id)
            .order_by(ApprovalRequest.requested_at, ApprovalRequest.id)
        )
    )
    case = session.get(Case, case_id)
    agent = session.scalar(select(Agent).where(Agent.handle == handle))
    # The trainee's own approval requests: an escalation the policy made on one of them (a
    # request above their authority goes up) is the trainee's decision to pass it up.
    asked = {approval.requested_at for approval in approvals if approval.requested_by == handle}
    policy = policies.compiled(session, case.policy_version_id) if case is not None else None
    kinds = {approval.kind for approval in approvals}
    scenario = practice.scenario_of(row)
    if scenario.expect.approval is not None:
        kinds.add(scenario.expect.approval.kind)
    limits: dict[str, float | None] = {}
    for kind in sorted(kinds):
        held = authority.of_agent(policy, agent, kind) if policy is not None else None
        limits[kind] = None if held is None or math.isinf(held.amount) else held.amount
    return Attempt(
        customer_messages=tuple(
            item.at - start for item in messages if item.by_customer and item.public
        ),
        replies=tuple(
            Reply(item.at - start, item.body, item.public)
            for item in messages
            if not item.by_customer and item.author == handle
        ),
        escalations=tuple(
            _escalation(row, handle=handle, asked=asked, start=start)
            for row in escalations
            # The policy's routing (billing to finance at opening) is where a case belongs,
            # not an escalation the trainee could have made: only their own hand-overs count.
            if row.action == "escalate" or row.actor == handle
        ),
        approvals=tuple(_approval_move(approval, handle, start) for approval in approvals),
        trainee_level=(agent.level if agent is not None else None) or "",
        authority=limits,
        first_response_due=None
        if row.first_response_due is None
        else row.first_response_due - start,
        status=case.status if case is not None else "open",
        resolved_at=None if case is None or case.resolved_at is None else case.resolved_at - start,
        finished_at=end - start,
        root_cause=(case.root_cause_code or case.root_cause) if case is not None else None,
    )


def _escalation(row: Any, *, handle: str, asked: set[int], start: int) -> Escalation:
    at, action, to_level, to_team, from_level, actor, rule, reason, trigger = row
    passed_up = trigger == "approval.requested" and at in asked
    mine = actor == handle or passed_up
    return Escalation(
        at=at - start,
        to_level=(to_level if action == "escalate" else to_team) or "",
        from_level=from_level or "",
        by_trainee=mine,
        rule=None if actor == handle else rule,
        reason=reason if actor == handle else ("asked for approval" if passed_up else reason),
    )


def _approval_move(approval: ApprovalRequest, handle: str, start: int) -> ApprovalMove:
    held = approval.requester_authority
    within = held is None or approval.amount <= held
    return ApprovalMove(
        at=approval.requested_at - start,
        kind=approval.kind,
        amount=approval.amount,
        requested=approval.requested_by == handle and approval.decided_by != handle,
        decided_by_trainee=approval.decided_by == handle,
        within_authority=within,
    )


def provisional(parts: Services, row: PracticeSession) -> dict[str, Any]:
    """The score of a running session as of the sandbox's now (nothing is stored)."""
    with parts.database.read() as session:
        attempt = attempt_of(session, row, end=parts.clock.now_us())
    found: dict[str, Any] = score(
        practice.scenario_of(row), attempt, analyzer=parts.analyzer
    ).as_dict()
    return found


def finish(parts: Services, row: PracticeSession, *, now: int) -> dict[str, Any]:
    """Score the session from its sandbox and end it (`row` is written by the caller)."""
    end = parts.clock.now_us()
    with parts.database.write() as session:
        sandbox.capture_outbox(session)
    with parts.database.read() as session:
        attempt = attempt_of(session, row, end=end)
    result = score(practice.scenario_of(row), attempt, analyzer=parts.analyzer)
    data: dict[str, Any] = result.as_dict()
    practice.finish(row, now=now, virtual_now=end, feedback=data, score=result.total)
    return data


def customer_says(parts: Services, row: PracticeSession, *, text: str) -> None:
    """A role-play's customer message, written at the sandbox's now."""
    sandbox.write_as_customer(
        parts.database,
        practice.play_of(row),
        text=text,
        now=parts.clock.now_us(),
        analyzer=parts.analyzer,
    )
