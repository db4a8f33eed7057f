"""Whose time each moment of a case was: who held it (team, level, person) and whose move it was.

A case's time from its opening to an instant is cut at every change of status and of holder.
Each piece goes to the holder of the moment and to a party: `ours` while the case is open or on
hold, `customer` while it waits for the customer, `third_party` while it waits for a partner or
supplier. Time resolved or closed belongs to nobody and is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from escalon.core.state import CaseState

PARTIES = ("ours", "customer", "third_party")
# The party whose move it is in each status; resolved and closed have none.
PARTY_OF_STATUS = {
    "open": "ours",
    "on_hold": "ours",
    "pending_customer": "customer",
    "pending_third_party": "third_party",
}

Holder = tuple[str, str, str | None]  # (team, level name, assignee)


def note_holder(state: CaseState, at: int, level: str) -> None:
    """Log the case's current team, level and assignee from `at` when they changed.

    Several changes at one instant (an escalation, then its assignment) leave one entry.
    """
    team, assignee = state.team, state.assignee
    log = state.holder_log
    if log:
        # Called on every move the engine makes: fields compared one by one, no slices.
        last_at, last_team, last_level, last_assignee = log[-1]
        if last_team == team and last_level == level and last_assignee == assignee:
            return
        if last_at >= at:
            state.holder_log = (*log[:-1], (at, team, level, assignee))
            return
    state.holder_log = (*log, (at, team, level, assignee))


@dataclass(frozen=True, slots=True)
class Attribution:
    """Microseconds of a case per holder and per party, up to an instant."""

    holders: dict[Holder, int] = field(default_factory=dict)
    parties: dict[str, int] = field(default_factory=dict)
    elapsed: int = 0  # every counted microsecond: the sum of `holders`, and of `parties`

    def by_team(self) -> dict[str, int]:
        """Microseconds with each team, at any level."""
        return _summed(self.holders, 0)

    def by_level(self) -> dict[str, int]:
        """Microseconds at each level, with any team."""
        return _summed(self.holders, 1)

    def by_person(self) -> dict[str | None, int]:
        """Microseconds with each assignee (None: in a team's queue)."""
        totals: dict[str | None, int] = {}
        for holder, spent in self.holders.items():
            totals[holder[2]] = totals.get(holder[2], 0) + spent
        return totals


def _summed(holders: dict[Holder, int], part: int) -> dict[str, int]:
    totals: dict[str, int] = {}
    for holder, spent in holders.items():
        name = holder[part]
        assert name is not None
        totals[name] = totals.get(name, 0) + spent
    return totals


def attribute(state: CaseState, end: int, *, level: str) -> Attribution:
    """The case's time from its opening to `end`, per holder and per party.

    `level` names the case's current level: a state stored before the holder log existed is
    counted as held throughout by its current team, level and assignee, and time before the
    log's first entry goes to that entry's holder.
    """
    if end <= state.opened_at:
        return Attribution()
    log = state.holder_log or ((state.opened_at, state.team, level, state.assignee),)
    statuses = state.status_log or ((state.opened_at, state.status),)
    # Every instant at which the holder or the party may change, in order, with what changed.
    cuts = sorted(
        [(at, 0, status) for at, status in statuses]
        + [(at, 1, index) for index, (at, *_rest) in enumerate(log)],
        key=lambda cut: (cut[0], cut[1]),
    )
    holders: dict[Holder, int] = {}
    parties: dict[str, int] = {}
    holder: Holder = (log[0][1], log[0][2], log[0][3])
    party: str | None = None
    since = state.opened_at
    for at, kind, what in cuts:
        moment = min(max(at, since), end)
        _count(holders, parties, holder, party, moment - since)
        since = moment
        if kind == 0:
            assert isinstance(what, str)
            party = PARTY_OF_STATUS.get(what)
        else:
            assert isinstance(what, int)
            _, team, level_name, assignee = log[what]
            holder = (team, level_name, assignee)
    if end > since:
        _count(holders, parties, holder, party, end - since)
    return Attribution(holders, parties, sum(parties.values()))


def _count(
    holders: dict[Holder, int],
    parties: dict[str, int],
    holder: Holder,
    party: str | None,
    spent: int,
) -> None:
    if party is None or spent <= 0:
        return
    holders[holder] = holders.get(holder, 0) + spent
    parties[party] = parties.get(party, 0) + spent
