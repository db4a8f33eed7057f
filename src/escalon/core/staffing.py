"""Who stands behind each team at an instant: the roster as the engine sees it.

The engine asks three questions while it decides: is anyone of a team present (a level with
nobody is skipped on the way up), whom does a recipient such as `level_team` or `on_call:TEAM`
reach, and who gets a case when it lands in a team (by the team's assignment strategy). A
`Staffing` answers them from a snapshot of teams, people, rotations and open-case counts. The
live service loads that snapshot from its database, team by team as the engine asks; the replay
builds it from a roster file. Without a staffing the engine takes the policy's names as they are.

Choosing someone counts the case against them at once, so the next choice in the same snapshot
sees them one case fuller and a round robin moves on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from escalon.core.assignment import Candidate, Choice, Need, choose, is_present
from escalon.core.calendar import Calendar, CalendarError
from escalon.core.rotations import Rotation, RotationError, rotation_from_dict


@dataclass(slots=True)
class TeamStaff:
    """One team as assignment and escalation see it."""

    name: str
    members: list[Candidate]
    rotation: Rotation | None = None
    strategy: str | None = None  # None: cases wait in the team's queue
    last: str | None = None  # whom the round robin gave the latest case


@dataclass(slots=True)
class Staffing:
    """A snapshot of every team's people, loaded a team at a time on first use."""

    load: Callable[[str], TeamStaff | None]
    _teams: dict[str, TeamStaff | None] = field(default_factory=dict)
    # Open cases per person as choices are made (shared by every team they belong to).
    _extra: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, teams: Iterable[TeamStaff]) -> Staffing:
        """A staffing over a fixed list of teams (the replay's roster, tests)."""
        known = {team.name: team for team in teams}
        return cls(known.get)

    def team(self, name: str) -> TeamStaff | None:
        """The team by name (None: no such team in the roster)."""
        if name not in self._teams:
            self._teams[name] = self.load(name)
        return self._teams[name]

    def teams(self) -> list[TeamStaff]:
        """The teams asked about so far."""
        return [team for team in self._teams.values() if team is not None]

    def on_call(self, name: str, at_us: int) -> str | None:
        """Who the team's rotation has on call at the instant."""
        team = self.team(name)
        if team is None or team.rotation is None:
            return None
        return team.rotation.on_call(at_us)

    def present(self, name: str, at_us: int) -> list[str]:
        """The people of a team who can take a case at the instant, whoever is on call first."""
        team = self.team(name)
        if team is None:
            return []
        on_call = self.on_call(name, at_us)
        people = [
            person.handle
            for person in team.members
            if is_present(person, at_us, on_call=person.handle == on_call)
        ]
        if on_call is not None:
            if on_call in people:
                people.remove(on_call)
                people.insert(0, on_call)
            elif all(person.handle != on_call for person in team.members):
                # The rotation may name someone outside the team; being on call makes them present.
                people.insert(0, on_call)
        return people

    def unstaffed(self, name: str, at_us: int) -> bool:
        """Whether the team has people (or a rotation) and none of them is present now.

        A team the roster knows nothing of, or with nobody in it, is not unstaffed: Escalon
        cannot tell who stands behind it, so escalations go there as the policy says.
        """
        team = self.team(name)
        if team is None or (not team.members and team.rotation is None):
            return False
        return not self.present(name, at_us)

    def assign(
        self, name: str, at_us: int, need: Need, *, strategy: str | None = None
    ) -> Choice | None:
        """Choose someone of the team by `strategy` (default: the team's); None: no strategy."""
        team = self.team(name)
        if team is None:
            return None
        strategy = strategy or team.strategy
        if strategy is None:
            return None
        members = [self._current(person) for person in team.members]
        choice = choose(
            strategy,
            members,
            at_us=at_us,
            need=need,
            last=team.last,
            on_call=self.on_call(name, at_us),
        )
        if choice.agent is not None:
            self._extra[choice.agent] = self._extra.get(choice.agent, 0) + 1
            if strategy == "round_robin":
                team.last = choice.agent
        return choice

    def release(self, handle: str) -> None:
        """A case left someone: they have one open case fewer from now."""
        self._extra[handle] = self._extra.get(handle, 0) - 1

    def take(self, handle: str) -> None:
        """A case came back to someone (a reopening): they have one open case more from now."""
        self._extra[handle] = self._extra.get(handle, 0) + 1

    def _current(self, person: Candidate) -> Candidate:
        extra = self._extra.get(person.handle)
        if not extra:
            return person
        return replace(person, open_cases=max(0, person.open_cases + extra))


# -- team members and rotations, from the database's rows or a roster's entries ----------------


def member(
    *,
    handle: str,
    status: str,
    capacity: int,
    skills: Iterable[str] | None,
    languages: Iterable[str] | None,
    timezone: str,
    working_hours: Any,
) -> Candidate:
    """A team member as assignment sees them, from a stored agent or a roster's entry."""
    return Candidate(
        handle=handle,
        status=status,
        capacity=capacity,
        skills=frozenset(skills or ()),
        languages=frozenset(languages or ()),
        working_hours=working_calendar(timezone, working_hours),
    )


def working_calendar(timezone: str, hours: Any) -> Calendar | None:
    """An agent's working hours as a calendar (None: always working), compiled once."""
    return _hours(timezone, _frozen(hours))


def _frozen(hours: Any) -> Any:
    """Working hours in a hashable shape, so equal ones share one compiled calendar."""
    if isinstance(hours, dict):
        return tuple((day, tuple(spans)) for day, spans in sorted(hours.items()))
    return hours


@lru_cache(maxsize=1024)
def _hours(timezone: str, hours: Any) -> Calendar | None:
    if hours is None or hours == "always":
        return None
    raw = {day: list(spans) for day, spans in hours} if isinstance(hours, tuple) else hours
    try:
        return Calendar.from_dict({"timezone": timezone, "hours": raw}, name="working hours")
    except CalendarError:
        return None  # checked when stored; an unreadable one now means always working


def rotation_of(raw: Any) -> Rotation | None:
    """A team's rotation column compiled (None: none, or one that cannot be read)."""
    if raw is None:
        return None
    if isinstance(raw, str):  # some drivers hand JSON columns back as text in Core queries
        raw = json.loads(raw)
    return _compiled_rotation(json.dumps(raw, sort_keys=True))


@lru_cache(maxsize=256)
def _compiled_rotation(key: str) -> Rotation | None:
    try:
        return rotation_from_dict(json.loads(key))
    except RotationError:
        return None  # checked when stored
