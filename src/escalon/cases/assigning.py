"""Handing out work: many cases to one person at once, and waiting cases to whoever can take them.

Assigning many cases runs `updating.assign_case` on each, in its own savepoint, so each case is
checked as if assigned alone (visible to the caller, theirs to give) and one refusal changes
nothing for the others. Asking again gives the same outcome: a case already theirs is done.

A team that hands out cases by a strategy (`teams.assignment`) keeps a timer, `handout_at`:
when its waiting cases (open, nobody's) should be handed out. Writes set it when a case starts
waiting or someone frees capacity or becomes available; the worker claims due teams as it
claims due cases and, when nobody can take the rest, sets it to the next start of someone's
working hours or on-call shift (never sleeping meanwhile).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from escalon.cases import acting, service, updating
from escalon.cases.models import Case
from escalon.core import engine
from escalon.core.assignment import Need, next_arrival
from escalon.core.staffing import Staffing
from escalon.core.state import STOPPED_STATUSES
from escalon.database.base import table_of
from escalon.errors import EscalonError, Invalid, NotFound
from escalon.people import staffing as people_staffing
from escalon.people.directory import Directory
from escalon.people.models import Team

MAX_CASES = 200  # ids in one bulk request: a page of the queue, with room
WAITING_STATUSES = ("open", "pending_customer", "pending_third_party", "on_hold")
# When waiting cases remain and no arrival is known, the team is looked at again this much
# later anyway: a missed signal costs minutes, never a case forgotten.
BACKSTOP_US = 15 * 60 * 1_000_000
HANDOUT_ACTOR = "hand-out"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one case of a bulk request."""

    case_id: int
    outcome: Literal["done", "refused", "not_found"]
    reason: str | None = None
    changed: bool = False


def assign_many(
    session: Session,
    *,
    case_ids: Sequence[int],
    assignee: str | None,
    actor: acting.Actor,
    now: int,
) -> list[Outcome]:
    """Assign each case (`updating.assign_case`), one outcome per distinct id, in request order."""
    if len(case_ids) > MAX_CASES:
        raise Invalid(f"at most {MAX_CASES} cases at once; send the rest in another request")
    if assignee is not None:
        updating.require_active_agent(session, assignee)
    wanted = list(dict.fromkeys(case_ids))
    outcomes: dict[int, Outcome] = {}
    for case_id in sorted(wanted):  # always in id order: two requests never deadlock
        before = session.scalar(select(Case.version).where(Case.id == case_id))
        try:
            with session.begin_nested():
                updating.assign_case(
                    session,
                    case_id=case_id,
                    assignee=assignee,
                    actor=actor,
                    now=now,
                    if_match=None,
                )
        except NotFound:
            outcomes[case_id] = Outcome(case_id, "not_found", f"case {case_id} does not exist")
            continue
        except EscalonError as error:
            outcomes[case_id] = Outcome(case_id, "refused", str(error))
            continue
        after = session.scalar(select(Case.version).where(Case.id == case_id))
        outcomes[case_id] = Outcome(case_id, "done", changed=after != before)
    return [outcomes[case_id] for case_id in wanted]


# -- handing out waiting cases -----------------------------------------------------------------


@dataclass(slots=True)
class HandOut:
    """What one hand-out pass did."""

    teams: int = 0
    assigned: int = 0


def hand_out(session: Session, *, now: int, batch: int, teams: int = 20) -> HandOut:
    """Hand out the waiting cases of every team whose hand-out is due, most urgent first.

    Teams are claimed one at a time: on PostgreSQL a transaction-scoped advisory lock per team
    (another worker passes the team over), on SQLite the database's write lock. Cases are locked
    and must still be nobody's, so each is handed out once however many workers run.
    """
    report = HandOut()
    due = session.execute(
        select(Team.id, Team.name, Team.handout_at)
        .where(Team.handout_at <= now)
        .order_by(Team.handout_at)
        .limit(teams)
    ).all()
    postgresql = session.get_bind().dialect.name == "postgresql"
    crew = people_staffing.staffing(session)
    changes: list[service.Change] = []
    plans: list[tuple[int, int | None, int | None]] = []
    for team_id, name, claimed in due:
        if postgresql and not session.scalar(
            text(
                "SELECT pg_try_advisory_xact_lock(CAST(:space AS integer), CAST(:team AS integer))"
            ),
            {"space": 0x48414E44, "team": team_id},
        ):
            continue
        report.teams += 1
        handed, left = _team(session, crew, name, now, batch)
        changes.extend(handed)
        plans.append((team_id, claimed, _next_look(crew, name, now, left, len(handed) >= batch)))
    report.assigned = len(changes)
    service.write_changes(session, changes, now=now, directory=Directory(session), crew=crew)
    teams_table = table_of(Team)
    for team_id, claimed, next_at in plans:
        # Only if no write asked for a look meanwhile (it set another instant): that one stands.
        session.execute(
            update(teams_table)
            .where(teams_table.c.id == team_id, teams_table.c.handout_at == claimed)
            .values(handout_at=next_at)
        )
    return report


def _team(
    session: Session, crew: Staffing, name: str, now: int, batch: int
) -> tuple[list[service.Change], bool]:
    """The changes handing out the team's waiting cases; whether some could not be."""
    query = (
        service.load_query(lock=True, skip_locked=True)
        .where(
            Case.team == name,
            Case.assignee.is_(None),
            Case.status.in_(WAITING_STATUSES),
        )
        # The most urgent first (the soonest due), then the oldest.
        .order_by(func.coalesce(Case.due_at, 2**62), Case.id)
        .limit(batch)
    )
    changes: list[service.Change] = []
    left = False
    for row in session.execute(query).all():
        policy = service.policy_of_row(session, row)
        case = service.loaded_from_row(row, policy)
        state = case.state
        if state.assignee is not None or state.status in STOPPED_STATUSES:
            continue
        choice = crew.assign(name, now, Need(category=state.category, tier=state.tier))
        if choice is None or choice.agent is None:
            # This case waits (nobody for its category, say); the next may still go.
            left = True
            continue
        changed = engine.assign(
            state,
            choice.agent,
            at=max(state.updated_at, now),
            level=case.policy.levels[state.level].name,
        )
        changed.updated_at = max(state.updated_at, now)
        change = service.Change(case, changed, HANDOUT_ACTOR)
        change.entries.append(
            {
                "kind": "assign",
                "at": changed.updated_at,
                "data": {
                    "trigger": "hand-out",
                    "strategy": choice.strategy,
                    "team": name,
                    "assignee": choice.agent,
                    "reason": f"handed out from the queue: {choice.reason}",
                },
            }
        )
        changes.append(change)
    return changes, left


def _next_look(crew: Staffing, name: str, now: int, left: bool, more: bool) -> int | None:
    """When to look at the team again: at once when a full batch went out, at the next arrival
    (or the backstop) when cases are left, else only when something asks."""
    if more:
        return now
    if not left:
        return None
    team = crew.team(name)
    changes: list[int] = []
    if team is not None and team.rotation is not None:
        changes = [shift.start for shift in team.rotation.next_shifts(now, 2)]
    members = team.members if team is not None else []
    arrival = next_arrival(members, now, rotation_changes=changes)
    backstop = now + BACKSTOP_US
    return backstop if arrival is None else min(arrival, backstop)


def next_handout(session: Session) -> int | None:
    """The earliest hand-out instant of any team (None: none is set)."""
    value = session.scalar(select(func.min(Team.handout_at)))
    return None if value is None else int(value)


def postpone_due(session: Session, *, now: int) -> None:
    """Move the teams due now to the backstop: a hand-out that failed is tried again then, not
    in a loop that leaves the worker no pause."""
    session.execute(update(Team).where(Team.handout_at <= now).values(handout_at=now + BACKSTOP_US))
