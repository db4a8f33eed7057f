"""A checked roster as the engine sees it: the staffing a replay assigns and escalates with.

`staff_roster` compiles the teams and agents of a roster (read and checked `self_contained`)
into the `TeamStaff` of `escalon.core.staffing`, with each person's time zone. A team's members
are its agents in handle order, as in the live service: the order a round robin follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from escalon.core.assignment import Candidate
from escalon.core.roster.schema import Roster
from escalon.core.rotations import Rotation
from escalon.core.staffing import Staffing, TeamStaff, member, rotation_of


@dataclass(frozen=True, slots=True)
class StaffRoster:
    """The teams of a roster as the engine sees them, and each person's time zone."""

    teams: tuple[TeamStaff, ...]
    timezones: Mapping[str, tzinfo] = field(default_factory=dict)

    def staffing(self) -> Staffing:
        """A fresh staffing: nobody has a case yet and no round robin has turned."""
        return Staffing.of(replace(team, members=list(team.members)) for team in self.teams)

    def rotations(self) -> list[tuple[str, Rotation]]:
        """(team, rotation) for the teams that have one, in the roster's order."""
        return [(team.name, team.rotation) for team in self.teams if team.rotation is not None]

    def timezone(self, handle: str) -> tzinfo:
        """The person's time zone (UTC for someone the roster does not list)."""
        return self.timezones.get(handle, UTC)


def staff_roster(roster: Roster) -> StaffRoster:
    """The staffing of a checked roster (its problems were reported when it was read)."""
    members: dict[str, list[Candidate]] = {team.name: [] for team in roster.teams}
    for agent in roster.agents:
        person = member(
            handle=agent.handle,
            status=agent.status,
            capacity=agent.capacity,
            skills=agent.skills,
            languages=agent.languages,
            timezone=agent.timezone,
            working_hours=agent.working_hours,
        )
        for team in dict.fromkeys(agent.teams):
            if team in members:
                members[team].append(person)
    teams = tuple(
        TeamStaff(
            team.name,
            sorted(members[team.name], key=lambda person: person.handle),
            None if team.rotation is None else rotation_of(team.rotation.model_dump()),
            team.assignment,
        )
        for team in roster.teams
    )
    return StaffRoster(teams, {agent.handle: ZoneInfo(agent.timezone) for agent in roster.agents})
