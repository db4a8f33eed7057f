"""What a roster's teams and agents may say (the fields, their types and their bounds), the
checked `Roster`, and how its problems are named (file, line, field path).

The API takes the same models for one team or agent (POST /teams, POST /agents), so a roster
entry and a request body are checked alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

from escalon.core.fields import Email, Name, Trimmed
from escalon.core.policy.source import Path, SourceMap, format_path

MAX_TEAMS = 1000
MAX_AGENTS = 10_000

Handle = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S+$")]
AgentStatus = Literal["available", "away", "off_shift"]
Strategy = Literal["round_robin", "least_loaded", "skills", "on_call"]
ASSIGNMENT = (
    "how the team's new cases get a person: round_robin, least_loaded, skills or on_call; "
    "null: they wait in the team's queue until someone takes them"
)
SUPPORT_ADDRESS = (
    "the address the team's mail to customers (replies, notices) comes from; "
    "null: the installation's ESCALON_MAIL_FROM"
)


class TeamIn(BaseModel):
    """A new team."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    assignment: Strategy | None = Field(None, description=ASSIGNMENT)
    support_address: Email | None = Field(None, description=SUPPORT_ADDRESS)


class RotationIn(BaseModel):
    """An on-call rotation: layers (lowest first) and overrides; see docs/people.md."""

    model_config = ConfigDict(extra="forbid")

    layers: list[dict[str, Any]] = Field(min_length=1, max_length=20)
    overrides: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)


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


class TeamEntry(TeamIn):
    """A team of a roster: a new team's fields and, if given, its on-call rotation."""

    rotation: RotationIn | None = Field(
        None,
        description="the on-call rotation, as PUT /teams/{name}/rotation takes it; "
        "null removes the team's rotation, leaving it out keeps the one stored",
    )


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """One problem of a roster: what, at which field path, on which line of which file."""

    problem: str
    field: str | None = None
    line: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """Where a document came from, to name the file and line of a field's problem."""

    source: str | None
    lines: SourceMap

    def detail(self, path: Path, problem: str) -> RosterProblem:
        """The problem at a field path, with its line when the document came from a file."""
        return RosterProblem(
            problem,
            field=format_path(path) or None,
            line=self.lines.line_of(path),
            source=self.source,
        )


class RosterInvalid(ValueError):
    """A roster with problems; `problems` names each one (file, line, field path, problem)."""

    def __init__(self, source: str | None, problems: list[RosterProblem]) -> None:
        self.source = source
        self.problems = problems
        self.message = summary(source, problems)
        super().__init__(self.message)


def summary(source: str | None, problems: list[RosterProblem]) -> str:
    """`roster.yaml: the roster has 2 problem(s): agents[0].name: ...` (the first one)."""
    where = f"{source}: " if source else ""
    if not problems:
        return f"{where}the roster has 0 problem(s): it cannot be read"
    first = problems[0]
    said = f"{first.field}: {first.problem}" if first.field else first.problem
    return f"{where}the roster has {len(problems)} problem(s): {said}"


class Roster(BaseModel):
    """Teams and agents to create or update; an agent entry takes the fields of AgentIn."""

    model_config = ConfigDict(extra="forbid")

    teams: list[TeamEntry] = Field(default_factory=list, max_length=MAX_TEAMS)
    agents: list[AgentIn] = Field(default_factory=list, max_length=MAX_AGENTS)
    # Where the roster was read from, to name the file and line of a problem found at import.
    _source: str | None = PrivateAttr(None)
    _lines: SourceMap = PrivateAttr(default_factory=SourceMap)

    def where(self) -> Where:
        """The file and the lines the roster was read from (none: it came as data)."""
        return Where(self._source, self._lines)

    def locate(self, path: Path, problem: str) -> RosterProblem:
        """A problem at a field path, with the file and line when the roster came from a file."""
        return self.where().detail(path, problem)
