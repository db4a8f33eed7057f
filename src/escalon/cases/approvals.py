"""Approval requests on a case: asking to grant an amount, deciding, withdrawing, and what
each person may do about a pending request (`escalon.cases.authority` says whose authority
covers what)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.cases import acting, authority, service, visibility
from escalon.cases.acting import Actor
from escalon.cases.models import ApprovalRequest
from escalon.cases.schemas import ApprovalDecisionIn, ApprovalIn
from escalon.core.events import ApprovalRequested
from escalon.core.policy import Policy
from escalon.errors import Conflict, Forbidden, NotFound


def request_approval(
    session: Session,
    *,
    case_id: int,
    request: ApprovalIn,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> int:
    """Ask to grant an amount: granted at once within the requester's own authority, else
    pending until someone whose authority covers it decides (and the policy's
    `approval.requested` rules may escalate the case to a level that can).

    The requester's authority is their own (`escalon.cases.authority`), never the case level's,
    and the engine is given it so that `above_authority` compares with the person's.
    """
    case = acting.locked(session, case_id, if_match, actor)
    acting.require_open(case, "ask for an approval")
    policy = case.policy
    at = acting.event_at(case, now)
    own = authority.of_person(session, policy, agent=actor.agent, kind=request.kind)
    within = own.covers(request.amount)
    event = ApprovalRequested(
        **acting.by_actor(case_id, at, actor),
        kind=request.kind,
        amount=request.amount,
        authority=own.amount,
    )
    data = acting.event_data(event) | {"authority": own.shown(), "basis": own.basis}
    change = acting.apply(session, case, event, at, actor, None, data=data)
    approval = ApprovalRequest(
        case_id=case_id,
        **request.model_dump(),  # what is asked for: kind, amount and note
        requested_by=actor.name,
        requested_by_user_id=actor.user_id,
        requested_at=at,
        level=policy.levels[case.state.level].name,
        requester_authority=own.amount,
        requester_basis=own.basis,
        needed_level=authority.needed_level(policy, request.kind, request.amount),
        status="granted" if within else "pending",
        decided_by=actor.name if within else None,
        decided_by_user_id=actor.user_id if within else None,
        decided_at=at if within else None,
        decider_authority=own.amount if within else None,
        decider_basis=own.basis if within else None,
    )
    session.add(approval)
    session.flush()
    if within:
        change.entries.append(
            {
                "kind": "approval.granted",
                "at": at,
                "data": {
                    "approval": approval.id,
                    "kind": request.kind,
                    "amount": request.amount,
                    "by": actor.name,
                    "authority": own.shown(),
                    "basis": own.basis,
                },
            }
        )
    acting.write(session, [change], now)
    return approval.id


def decide_approval(
    session: Session, *, approval_id: int, request: ApprovalDecisionIn, actor: Actor, now: int
) -> int:
    """Approve or reject a pending request: a supervisor or admin other than the requester,
    whose own authority covers the amount. Of two deciders at once, one wins (409 for the
    other). Returns the case's id."""
    approval, case = _pending_approval(session, approval_id, actor)
    policy = case.policy
    theirs = authority.of_person(session, policy, agent=actor.agent, kind=approval.kind)
    refusal = _refusal(approval, actor, theirs)
    if refusal is not None:
        raise Forbidden(f"{refusal}; {_who_may(session, policy, approval)}")
    status = "approved" if request.decision == "approve" else "rejected"
    at = acting.event_at(case, now)
    _settle(
        session,
        approval,
        status=status,
        actor=actor,
        at=at,
        note=request.note,
        decider=theirs,
    )
    data = {
        "approval": approval.id,
        "kind": approval.kind,
        "amount": approval.amount,
        "requested_by": approval.requested_by,
        "by": actor.name,
        "authority": theirs.shown(),
        "basis": theirs.basis,
        "note": request.note,
    }
    change = acting.recorded(case, actor, at, kind=f"approval.{status}", data=data)
    acting.write(session, [change], now, flush_first=True)
    return approval.case_id


def withdraw_approval(session: Session, *, approval_id: int, actor: Actor, now: int) -> int:
    """The requester takes back their own pending request; returns the case's id."""
    approval, case = _pending_approval(session, approval_id, actor)
    if not _asked_by(approval, actor):
        raise Forbidden(
            f"only {approval.requested_by}, who asked for approval request {approval_id}, "
            "may withdraw it; others approve or reject it"
        )
    at = acting.event_at(case, now)
    _settle(session, approval, status="withdrawn", actor=actor, at=at, note="", decider=None)
    data = {
        "approval": approval.id,
        "kind": approval.kind,
        "amount": approval.amount,
        "by": actor.name,
    }
    change = acting.recorded(case, actor, at, kind="approval.withdrawn", data=data)
    acting.write(session, [change], now, flush_first=True)
    return approval.case_id


def _pending_approval(
    session: Session, approval_id: int, actor: Actor
) -> tuple[ApprovalRequest, service.LoadedCase]:
    """A request that still waits, and its case, locked (the case first, as every case write
    locks it, so two decisions on one request queue up and the second sees the first)."""
    case_id = session.scalar(
        select(ApprovalRequest.case_id).where(ApprovalRequest.id == approval_id)
    )
    if case_id is None or not visibility.visible(session, acting.scope(session, actor), case_id):
        raise NotFound(f"approval request {approval_id} does not exist")
    case = acting.locked(session, case_id, None, actor)
    approval = session.get(
        ApprovalRequest, approval_id, with_for_update=True, populate_existing=True
    )
    assert approval is not None  # requests are never deleted
    if approval.status != "pending":
        raise Conflict(f"approval request {approval_id} is already {approval.status}")
    return approval, case


def _settle(
    session: Session,
    approval: ApprovalRequest,
    *,
    status: str,
    actor: Actor,
    at: int,
    note: str,
    decider: authority.Authority | None,
) -> None:
    """Write a decision, only if the request still waits (one decision ever, whatever races)."""
    settled = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == approval.id, ApprovalRequest.status == "pending")
        .values(
            status=status,
            decided_by=actor.name,
            decided_by_user_id=actor.user_id,
            decided_at=at,
            decision_note=note,
            decider_authority=None if decider is None else decider.amount,
            decider_basis=None if decider is None else decider.basis,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(settled, "rowcount", 1) != 1:
        raise Conflict(f"approval request {approval.id} was decided meanwhile")
    session.expire(approval)


@dataclass(frozen=True, slots=True)
class PendingRights:
    """What a person may do about a pending request, and who may decide it."""

    may_decide: bool
    may_withdraw: bool
    refusal: str | None  # why they may not decide
    deciders: tuple[str, ...]
    needed_level: str | None


def pending_rights(
    session: Session, *, case_id: int, policy: Policy, actor: Actor
) -> dict[int, PendingRights]:
    """For each pending request of a case: what the actor may do about it (the same checks
    as deciding and withdrawing), and who may decide it."""
    pending = session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.case_id == case_id, ApprovalRequest.status == "pending"
        )
    )
    rights = {}
    for approval in pending:
        theirs = authority.of_person(session, policy, agent=actor.agent, kind=approval.kind)
        refusal = _refusal(approval, actor, theirs)
        rights[approval.id] = PendingRights(
            may_decide=refusal is None,
            may_withdraw=_asked_by(approval, actor),
            refusal=refusal,
            deciders=tuple(_deciders(session, policy, approval)),
            needed_level=authority.needed_level(policy, approval.kind, approval.amount),
        )
    return rights


def _refusal(approval: ApprovalRequest, actor: Actor, theirs: authority.Authority) -> str | None:
    """Why the actor may not decide a request (None: they may)."""
    if actor.role not in authority.DECIDING_ROLES:
        return "only supervisors and admins decide approval requests"
    if _asked_by(approval, actor):
        return (
            f"you asked for it: approval request {approval.id} must be decided by someone "
            "else whose authority covers it"
        )
    if not theirs.covers(approval.amount):
        return (
            f"{approval.kind} of {approval.amount:g} is above your authority: "
            f"{_whose(actor, theirs)}"
        )
    return None


def _asked_by(approval: ApprovalRequest, actor: Actor) -> bool:
    """Whether the actor made the request: the same user, or the same name (an agent's handle
    is one person's, whichever user acts as it now)."""
    if approval.requested_by_user_id is not None and approval.requested_by_user_id == actor.user_id:
        return True
    return approval.requested_by == actor.name


def _whose(actor: Actor, held: authority.Authority) -> str:
    """The actor's authority in words, for a refusal."""
    if actor.agent is None:
        return f"user {actor.name!r} is not linked to an agent, so may grant nothing"
    return f"{actor.agent} may decide up to {held.words()} ({held.basis})"


def _who_may(session: Session, policy: Policy, approval: ApprovalRequest) -> str:
    """Who may decide a request, for a refusal."""
    level = authority.needed_level(policy, approval.kind, approval.amount)
    needed = (
        f"it needs the authority of level {level!r} or above"
        if level is not None
        else "no level's authority covers it: it needs someone whose own limit does"
    )
    people = _deciders(session, policy, approval)
    return f"{needed} ({'who may: ' + ', '.join(people) if people else 'nobody may now'})"


def _deciders(session: Session, policy: Policy, approval: ApprovalRequest) -> list[str]:
    """Who may decide a request now: everyone whose authority covers it but its requester."""
    return authority.deciders(
        session,
        policy,
        kind=approval.kind,
        amount=approval.amount,
        requester=approval.requested_by,
    )
