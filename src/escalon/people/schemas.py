"""What the API reads and writes about teams and agents."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalon.cases.schemas import Email, Name, Trimmed

Handle = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S+$")]
AgentStatus = Literal["available", "away", "off_shift"]


class TeamIn(BaseModel):
    """A new team."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class TeamOut(BaseModel):
    """A team and its members' handles."""

    id: int
    name: str
    description: str
    members: list[str]


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
