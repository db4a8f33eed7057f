"""Moving a case to another stored policy version: an operator's decision."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from escalon.cases import acting, service
from escalon.cases.acting import Actor
from escalon.core import engine
from escalon.errors import Conflict
from escalon.forecast import breach as breach_forecast
from escalon.policies import service as policies


def migrate_case(
    session: Session,
    *,
    case_id: int,
    policy_version_id: int,
    actor: Actor,
    now: int,
    if_match: int | None,
) -> None:
    """Move a case to another stored policy version (an operator's decision)."""
    case = acting.locked(session, case_id, if_match, actor)
    if case.policy_version_id == policy_version_id:
        raise Conflict(f"case {case_id} is already under policy version {policy_version_id}")
    target = policies.get(session, policy_version_id)
    new_policy = policies.compiled(session, policy_version_id, target.fingerprint)
    at = acting.event_at(case, now)
    try:
        decision = engine.migrate(
            case.state,
            case.policy,
            new_policy,
            at,
            staffing=acting.crew(session),
            foresight=breach_forecast.foresight(session, new_policy),
        )
    except engine.EventRejected as error:
        raise Conflict(f"case {case_id} cannot move to that policy: {error}") from None
    # The same case, status as loaded included: a resolved case's customer is not told again.
    moved = replace(case, policy_version_id=policy_version_id, policy=new_policy)
    change = service.Change(moved, decision.state, actor.name)
    change.actions.extend(decision.actions)
    change.clock_events.extend(decision.clock_events)
    change.entries.append(
        {
            "kind": "case.policy_migrated",
            "at": at,
            "data": {"from": case.policy_version_id, "to": policy_version_id},
        }
    )
    acting.write(session, [change], now)
