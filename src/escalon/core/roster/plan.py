"""What importing a checked roster would do: each team and agent created, updated or unchanged.

The plan compares the roster's entries with what is stored, given as plain values (the caller
reads its rows); writing the rows is the caller's. Only the fields an entry gives are compared,
and an agent that lists `teams` is to get exactly those memberships.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from escalon.core.roster.schema import AgentIn, Roster, TeamEntry

Outcome = Literal["created", "updated", "unchanged"]
# The stored fields of a team or agent, by field name (an agent's `teams`: their team names).
Stored = Mapping[str, Any]


@dataclass(slots=True)
class ImportPlan:
    """Each entry of the roster, in its order, with its outcome and the fields it changes."""

    teams: list[tuple[TeamEntry, Outcome, dict[str, Any]]] = field(default_factory=list)
    agents: list[tuple[AgentIn, Outcome, dict[str, Any]]] = field(default_factory=list)


def plan_import(
    roster: Roster, *, teams: Mapping[str, Stored], agents: Mapping[str, Stored]
) -> ImportPlan:
    """The plan against the stored teams (by name) and agents (by handle) the roster names.

    A new team's changes hold its rotation, if it gives one (rotations are set last, once every
    agent they name exists).
    """
    plan = ImportPlan()
    for team_entry in roster.teams:
        stored = teams.get(team_entry.name)
        if stored is None:
            created = {} if team_entry.rotation is None else {"rotation": team_entry.rotation}
            plan.teams.append((team_entry, "created", created))
            continue
        team_changes = _team_changes(team_entry, stored)
        plan.teams.append((team_entry, "updated" if team_changes else "unchanged", team_changes))
    for agent_entry in roster.agents:
        stored = agents.get(agent_entry.handle)
        if stored is None:
            plan.agents.append((agent_entry, "created", {}))
            continue
        agent_changes = _agent_changes(agent_entry, stored)
        outcome: Outcome = "updated" if agent_changes else "unchanged"
        plan.agents.append((agent_entry, outcome, agent_changes))
    return plan


def _team_changes(entry: TeamEntry, stored: Stored) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in entry.model_fields_set - {"name"}:
        value = getattr(entry, name)
        if name == "rotation":
            if (None if value is None else value.model_dump()) != stored[name]:
                changes[name] = value
        elif value != stored[name]:
            changes[name] = value
    return changes


def _agent_changes(entry: AgentIn, stored: Stored) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in entry.model_fields_set - {"handle"}:
        value = getattr(entry, name)
        if name == "teams":
            if sorted(set(value)) != sorted(stored[name]):
                changes[name] = sorted(set(value))
            continue
        if name in ("skills", "languages"):
            value = list(dict.fromkeys(value))
        if value != stored[name]:
            changes[name] = value
    return changes
