"""What the API reads and writes about teams and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalon.core.fields import Email, Name, Trimmed

# A roster's entries and these request bodies are checked alike: the models are the roster's.
from escalon.core.roster.schema import (
    ASSIGNMENT,
    SUPPORT_ADDRESS,
    AgentIn,
    AgentStatus,
    Authority,
    Handle,
    RotationIn,
    Skill,
    Strategy,
    TeamIn,
    WorkingHours,
)


class TeamPatch(BaseModel):
    """Fields of a team to change."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    assignment: Strategy | None = Field(None, description=ASSIGNMENT)
    support_address: Email | None = Field(None, description=SUPPORT_ADDRESS)


class TeamOut(BaseModel):
    """A team, its members' handles, how it assigns cases and its on-call rotation."""

    id: int
    name: str
    description: str
    members: list[str]
    assignment: str | None = None
    rotation: dict[str, Any] | None = None
    support_address: str | None = None


class OnCallOut(BaseModel):
    """Who is on call for a team at an instant (nobody: null)."""

    team: str
    at: datetime
    person: str | None
    source: str | None = Field(description="the layer's name, or 'override'")


class ShiftOut(BaseModel):
    """One shift of a team's final on-call schedule."""

    person: str
    source: str
    start: datetime
    end: datetime


class AgentPatch(BaseModel):
    """Fields of an agent to change."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200), Trimmed] | None = None
    email: Email | None = None
    level: Name | None = None
    capacity: int | None = Field(None, ge=0, le=10_000, strict=True)
    status: AgentStatus | None = None
    active: bool | None = Field(None, strict=True)
    teams: list[Name] | None = Field(None, max_length=100)
    chat: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    skills: list[Skill] | None = Field(None, max_length=100)
    languages: list[Skill] | None = Field(None, max_length=50)
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    working_hours: WorkingHours | None = None
    authority: Authority | None = None


class AgentOut(BaseModel):
    """An agent."""

    id: int
    handle: str
    name: str
    email: str | None
    level: str | None
    capacity: int
    status: str
    active: bool
    teams: list[str]
    chat: str | None
    skills: list[str]
    languages: list[str]
    timezone: str
    working_hours: dict[str, list[str]] | str | None
    authority: dict[str, float | str] | None
    open_cases: int = Field(0, description="cases assigned to them that are not resolved or closed")


__all__ = [
    "AgentIn",
    "AgentOut",
    "AgentPatch",
    "AgentStatus",
    "Authority",
    "Handle",
    "OnCallOut",
    "RotationIn",
    "ShiftOut",
    "Skill",
    "Strategy",
    "TeamIn",
    "TeamOut",
    "TeamPatch",
    "WorkingHours",
]
