"""What every case use case shares: who acts, the case locked for them, events applied by the
engine, and the change written in one go.

Every use case runs in the caller's write transaction, locks the case, checks the version the
caller based its request on (If-Match), applies the event through `escalon.core.engine` (which
first fires whatever fell due before it) and hands the decisions to `service.write_changes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from escalon.cases import service, visibility
from escalon.core import engine
from escalon.core.events import Event
from escalon.core.policy import Policy
from escalon.core.signals import TextAnalyzer
from escalon.core.staffing import Staffing
from escalon.core.state import STOPPED_STATUSES, from_us
from escalon.database.dialect import wake_workers
from escalon.errors import Conflict, Invalid, StaleVersion
from escalon.forecast import breach as breach_forecast
from escalon.people import staffing as people_staffing
from escalon.people.directory import Directory


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: the audit trail and the engine's events name them by `name`."""

    user_id: int | None
    name: str
    role: str
    agent: str | None = None  # the agent this user acts as, if linked to one
    # Which cases they may act on (`escalon.cases.visibility`): the setting for people; Escalon's
    # own actors (intake, the worker, the operator's CLI) see every case.
    visibility: str = "all"


# A change whose next timer falls this close wakes listening workers instead of waiting a poll.
WAKE_HORIZON_US = 2 * 1_000_000


def scope(session: Session, actor: Actor) -> visibility.Scope:
    """The cases the actor may see and act on."""
    return visibility.scope(session, role=actor.role, agent=actor.agent, mode=actor.visibility)


def locked(
    session: Session, case_id: int, if_match: int | None, actor: Actor
) -> service.LoadedCase:
    """The case, locked for a change by the actor: NotFound when they may not see it."""
    case = service.lock_case(session, case_id)
    allowed = scope(session, actor)
    if not allowed.everything:  # checked on the locked row: it cannot move out of scope meanwhile
        visibility.require(session, allowed, case_id)
    check_version(case, if_match)
    return case


def check_version(case: service.LoadedCase, if_match: int | None) -> None:
    """StaleVersion unless the case is at the version the caller based its request on."""
    if if_match is not None and if_match != case.version:
        raise StaleVersion(
            f"case {case.id} is at version {case.version}, not {if_match}: "
            "someone changed it; read it again and retry"
        )


def require_open(case: service.LoadedCase, what: str) -> None:
    """Refuse to act on a resolved or closed case: it is reopened first (a status change)."""
    if case.state.status in STOPPED_STATUSES:
        raise Conflict(f"case #{case.id} is {case.state.status}: reopen it before you {what}")


def event_at(case: service.LoadedCase, now: int) -> int:
    """The instant of a new event: now, but never before what the case has already seen."""
    return max(now, case.state.updated_at)


def by_actor(case_id: int, at: int, actor: Actor) -> dict[str, Any]:
    """The fields every event a person causes opens with: when, on which case, by whom."""
    return {"at": from_us(at), "case": str(case_id), "agent": actor.name}


def apply(
    session: Session,
    case: service.LoadedCase,
    event: Event,
    at: int,
    actor: Actor,
    analyzer: TextAnalyzer | None,
    *,
    data: dict[str, Any],
) -> service.Change:
    """A change of the case by one event, with the event's audit entry (`data`)."""
    change = service.Change(case, case.state, actor.name)
    apply_into(session, change, case, event, at, analyzer)
    change.entries.append({"kind": event.type, "at": at, "data": data})
    return change


def recorded(
    case: service.LoadedCase, actor: Actor, at: int, *, kind: str, data: dict[str, Any]
) -> service.Change:
    """A change that records an act the engine has nothing to do with: the case's state as it
    was, stamped `at`, with the act's audit entry."""
    state = case.state.copy()
    state.updated_at = at
    change = service.Change(case, state, actor.name)
    change.entries.append({"kind": kind, "at": at, "data": data})
    return change


def crew(session: Session) -> Staffing:
    """The transaction's staffing: who stands behind each team, read once per team."""
    found: Staffing | None = session.info.get("staffing")
    if found is None:
        found = session.info["staffing"] = people_staffing.staffing(session)
    return found


def apply_into(
    session: Session,
    change: service.Change,
    case: service.LoadedCase,
    event: Event,
    at: int,
    analyzer: TextAnalyzer | None,
) -> None:
    """Apply one more event to a change: Conflict when the engine refuses it."""
    try:
        decision = engine.apply_event(
            change.state,
            case.policy,
            event,
            analyzer=analyzer,
            at_us=at,
            staffing=crew(session),
            foresight=breach_forecast.foresight(session, case.policy),
        )
    except engine.EventRejected as error:
        raise Conflict(str(error)) from None
    change.add(decision)


def write(
    session: Session,
    changes: list[service.Change],
    now: int,
    *,
    flush_first: bool = False,
    also: Sequence[tuple[Table, list[dict[str, Any]]]] = (),
) -> None:
    """Write the changes with the transaction's staffing, waking workers for a timer due soon.

    `flush_first` sends the session's pending ORM changes before the change's own writes.
    """
    if flush_first:
        session.flush()
    used = session.info.pop("staffing", None)
    service.write_changes(
        session, changes, now=now, directory=Directory(session), also=also, crew=used
    )
    soon = now + WAKE_HORIZON_US
    if any(c.state.next_check_at is not None and c.state.next_check_at <= soon for c in changes):
        wake_workers(session)


def level(policy: Policy, name: str) -> int:
    """The index of a level the policy names: Invalid, naming its levels, when it has none so."""
    index = policy.level_index.get(name)
    if index is None:
        raise Invalid(
            f"unknown level {name!r} (the policy's levels: {', '.join(policy.level_index)})"
        )
    return index


def check_names(
    policy: Policy,
    *,
    priority: str | None = None,
    team: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
) -> None:
    """Refuse names the policy does not know, saying which ones it does."""
    if priority is not None and priority not in policy.priority_rank:
        raise Invalid(
            f"unknown priority {priority!r} (the policy's priorities: "
            f"{', '.join(policy.priorities)})"
        )
    if team is not None and team not in policy.teams:
        raise Invalid(
            f"unknown team {team!r} (the policy's teams: {', '.join(sorted(policy.teams))})"
        )
    matrix = policy.document.priority
    if impact is not None and impact not in matrix.impact:
        raise Invalid(
            f"unknown impact {impact!r} (the policy's: {', '.join(matrix.impact) or 'none'})"
        )
    if urgency is not None and urgency not in matrix.urgency:
        raise Invalid(
            f"unknown urgency {urgency!r} (the policy's: {', '.join(matrix.urgency) or 'none'})"
        )


def event_data(event: Event, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """An event's own fields for its audit entry (those set, less `skip`)."""
    data = event.model_dump(mode="json", exclude={"at", "case", "type", *skip})
    return {name: value for name, value in data.items() if value is not None}


def message_row(
    *,
    at: int,
    author_kind: str,
    author: str,
    public: bool,
    channel: str | None,
    subject: str | None,
    body: str,
    details: dict[str, Any] | None = None,
    time_spent_seconds: int | None = None,
) -> dict[str, Any]:
    """A message row of the case (its case id is added by the writer)."""
    return {
        "at": at,
        "author_kind": author_kind,
        "author": author,
        "public": public,
        "channel": channel,
        "subject": subject,
        "body": body,
        "details": details,
        "time_spent_seconds": time_spent_seconds,
    }
