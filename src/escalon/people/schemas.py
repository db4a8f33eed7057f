"""What the API reads and writes about teams and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalon.cases.schemas import Email, Name, Trimmed

Handle = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S+$")]
AgentStatus = Literal["available", "away", "off_shift"]
Strategy = Literal["round_robin", "least_loaded", "skills", "on_call"]
_ASSIGNMENT = (
    "how the team's new cases get a person: round_robin, least_loaded, skills or on_call; "
    "null: they wait in the team's queue until someone takes them"
)

_SUPPORT_ADDRESS = (
    "the address the team's mail to customers (replies, notices) comes from; "
    "null: the installation's ESCALON_MAIL_FROM"
)


class TeamIn(BaseModel):
    """A new team."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    assignment: Strategy | None = Field(None, description=_ASSIGNMENT)
    support_address: Email | None = Field(None, description=_SUPPORT_ADDRESS)


class TeamPatch(BaseModel):
    """Fields of a team to change."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    assignment: Strategy | None = Field(None, description=_ASSIGNMENT)
    support_address: Email | None = Field(None, description=_SUPPORT_ADDRESS)


class TeamOut(BaseModel):
    """A team, its members' handles, how it assigns cases and its on-call rotation."""

    id: int
    name: str
    description: str
    members: list[str]
    assignment: str | None = None
    rotation: dict[str, Any] | None = None
    support_address: str | None = None


class RotationIn(BaseModel):
    """An on-call rotation: layers (lowest first) and overrides; see docs/people.md."""

    model_config = ConfigDict(extra="forbid")

    layers: list[dict[str, Any]] = Field(min_length=1, max_length=20)
    overrides: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)


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


Skill = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
WorkingHours = dict[str, list[Annotated[str, StringConstraints(max_length=20)]]] | Literal["always"]
Authority = dict[
    Skill, Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)] | Literal["unlimited"]
]


class AgentIn(BaseModel):
    """A new agent."""

    model_config = ConfigDict(extra="forbid")

    handle: Handle
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), Trimmed]
    email: Email | None = None
    level: Name | None = Field(None, description="where they stand on the policy's ladder")
    capacity: int = Field(20, ge=0, le=10_000, strict=True, description="most open cases at once")
    status: AgentStatus = "available"
    teams: list[Name] = Field(default_factory=list, max_length=100)
    chat: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=100)
    languages: list[Skill] = Field(default_factory=list, max_length=50)
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    working_hours: WorkingHours | None = Field(
        None, description="calendar hours in `timezone` (e.g. {mon: ['09:00-17:00']}); null: always"
    )
    authority: Authority | None = Field(
        None, description="what they may grant on their own per kind, beyond their level's"
    )


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
