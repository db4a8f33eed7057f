"""What changes do to people's workload: agents' open-case counts, capacity freed, cases that
began to wait in a team, and the round-robin turns the decisions took."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from escalon.core.staffing import Staffing
from escalon.core.state import STOPPED_STATUSES, CaseState
from escalon.people import staffing as people_staffing

if TYPE_CHECKING:
    from escalon.cases.service import Change


def holder_of(state: CaseState) -> str | None:
    """Whose open case a case is: its assignee while it is not resolved or closed."""
    return None if state.status in STOPPED_STATUSES else state.assignee


def load_moves(changes: Sequence[Change]) -> dict[str, int]:
    """By how many open cases each agent's count moves with the changes."""
    loads: dict[str, int] = {}
    for change in changes:
        before = None if change.new else change.case.holder
        after = holder_of(change.state)
        if before != after:
            if before is not None:
                loads[before] = loads.get(before, 0) - 1
            if after is not None:
                loads[after] = loads.get(after, 0) + 1
    return loads


def newly_waiting(changes: Sequence[Change]) -> list[str]:
    """The teams in which a case began to wait for an owner with this change."""
    teams = set()
    for change in changes:
        state = change.state
        if state.assignee is not None or state.status in STOPPED_STATUSES:
            continue
        case = change.case
        waited = not change.new and case.holder is None and case.status not in STOPPED_STATUSES
        if not waited or any(action.action == "route" for action in change.actions):
            teams.add(state.team)
    return sorted(teams)


def write_workload(
    session: Session, changes: Sequence[Change], *, now: int, crew: Staffing | None
) -> None:
    """Move the counts, and mark who may take more and which teams have cases waiting."""
    loads = load_moves(changes)
    people_staffing.count_open_cases(session, loads)
    # After the counts (agents, then teams: the order every writer locks them in).
    people_staffing.may_take_more(
        session, handles=[handle for handle, by in loads.items() if by < 0], now=now
    )
    people_staffing.cases_wait(session, teams=newly_waiting(changes), now=now)
    if crew is not None:
        people_staffing.save(session, crew)
