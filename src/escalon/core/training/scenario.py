"""A training scenario: one escalation told as a script a trainee can play (docs/training.md).

A scenario holds what the customer says and when, how the customer reacts to the trainee (a
reply that comes late or ignores the request brings an angrier message), what really happened
and what the team expects of whoever plays it. Scenarios are files (YAML or JSON) a supervisor
can read and edit; `read_scenario` checks one and names the line, field and problem of every
mistake, so a scenario with any problem is refused whole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from escalon.core.documents import Limits
from escalon.core.durations import US_PER_SECOND, format_duration, parse_duration
from escalon.core.policy.source import Problem, format_path, read_yaml

FORMAT = 1

# The skills a scenario exercises, in the order the library lists them, with their English.
SKILLS: dict[str, str] = {
    "manager_request": "a customer asks for a manager",
    "angry_customer": "an angry or frustrated customer",
    "public_complaint": "a public complaint",
    "refund_above_authority": "a refund above your authority",
    "functional_handover": "a hand-over to the team with the expertise",
    "repeat_contact": "a customer writing again without an answer",
    "reopened_case": "a case reopened after it was resolved",
    "slow_answer": "an answer that is due soon",
}
DIFFICULTIES: dict[int, str] = {1: "easy", 2: "medium", 3: "hard"}
MOODS = ("calm", "annoyed", "angry")

# What makes the customer write: the start, the trainee's reply, the trainee's silence, or a
# reply that did not take up what the customer asked.
Cue = Literal["start", "reply", "silence", "ignored"]

SCENARIO_LIMITS = Limits(max_bytes=200_000, max_depth=16, max_aliases=100, max_values=20_000)
MAX_STEPS = 40
MAX_TEXT = 5_000

_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Short = Annotated[str, Field(min_length=1, max_length=200)]


def _seconds(value: object) -> int:
    """A script delay: `0s`, `5m`, `1h30m` (0 allowed), as whole seconds."""
    if value in (0, "0", "0s", "0m"):
        return 0
    return parse_duration(value) // US_PER_SECOND


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Step(_Strict):
    """One message of the customer: what they say, on which cue, after how long, in what mood.

    `start` messages come `after` the scenario began; `reply` messages `after` the trainee's
    next public reply (the n-th `reply` step answers the n-th reply); `silence` messages `after`
    the customer's last message went unanswered that long; `ignored` messages `after` a reply
    that did not take up the request (see `Expectations.request_words`).
    """

    when: Cue
    after: int = 0  # seconds
    say: Text
    mood: Literal["calm", "annoyed", "angry"] = "calm"

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: object) -> int:
        return _seconds(value)


class Happened(_Strict):
    """One thing that really happened on the case, `after` seconds from its opening."""

    after: int
    who: Literal["customer", "agent", "policy"]
    what: Short
    text: Annotated[str, Field(max_length=MAX_TEXT)] | None = None

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: object) -> int:
        return _seconds(value)


class Approval(_Strict):
    """A decision the customer asks for (a refund of `amount`), to be decided or passed up."""

    kind: Annotated[str, Field(min_length=1, max_length=40)] = "refund"
    amount: float = Field(gt=0, le=1e9)


class Expectations(_Strict):
    """What the team expects of the trainee: the escalation decision, the authority used, how
    fast, and the words a reply must take up for the customer to feel heard."""

    escalate: bool
    # The level the case should reach (None: any level above the trainee's).
    to_level: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    approval: Approval | None = None
    # Used when the sandbox's policy gives the case no first-response target.
    first_response: int = 30 * 60  # seconds
    resolve: bool = True
    request_words: tuple[Annotated[str, Field(min_length=2, max_length=40)], ...] = ()

    @field_validator("first_response", mode="before")
    @classmethod
    def _first_response(cls, value: object) -> int:
        return _seconds(value)


class CaseFacts(_Strict):
    """How the case looks when it opens."""

    channel: Literal["email", "chat", "phone", "web", "social", "api"] = "email"
    tier: Annotated[str, Field(min_length=1, max_length=40)] = "standard"
    category: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    priority: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    subject: Short


class Outcome(_Strict):
    """How the real case ended."""

    escalated: bool
    level: Annotated[str, Field(max_length=80)] | None = None
    status: Annotated[str, Field(max_length=40)] = "open"
    answered_after: int | None = None  # seconds to the first public answer
    resolved_after: int | None = None  # seconds

    @field_validator("answered_after", "resolved_after", mode="before")
    @classmethod
    def _spans(cls, value: object) -> int | None:
        return None if value is None else _seconds(value)


class Source(_Strict):
    """Where the scenario came from: an import, events, the database, or a person's hand."""

    kind: Literal["twcs", "events", "database", "hand"]
    # A stable, masked reference to the case it was built from (never the case's own id).
    reference: Annotated[str, Field(max_length=80)] | None = None


class Scenario(_Strict):
    """One scenario (see the module's docstring)."""

    scenario: Literal[1] = 1
    id: Annotated[str, Field(min_length=1, max_length=80)]
    title: Short
    skill: str
    also: tuple[str, ...] = ()  # further skills it exercises
    difficulty: Literal[1, 2, 3] = 2
    summary: Annotated[str, Field(max_length=MAX_TEXT)] = ""
    source: Source
    customer: Annotated[str, Field(min_length=1, max_length=80)] = "the customer"
    case: CaseFacts
    script: tuple[Step, ...] = Field(min_length=1, max_length=MAX_STEPS)
    history: tuple[Happened, ...] = Field(default=(), max_length=200)
    outcome: Outcome | None = None
    expect: Expectations

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError(
                "an id is 1 to 80 lower-case letters, digits, '-', '_' or '.', starting with "
                "a letter or digit"
            )
        return value

    @field_validator("skill")
    @classmethod
    def _skill(cls, value: str) -> str:
        return _known_skill(value)

    @field_validator("also")
    @classmethod
    def _also(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_known_skill(skill) for skill in value)

    @field_validator("script")
    @classmethod
    def _opens(cls, value: tuple[Step, ...]) -> tuple[Step, ...]:
        if value[0].when != "start" or value[0].after != 0:
            raise ValueError("the first step opens the case: `when: start` with `after: 0s`")
        return value

    @property
    def skills(self) -> tuple[str, ...]:
        """The main skill and the others, once each."""
        return tuple(dict.fromkeys((self.skill, *self.also)))

    @property
    def opening(self) -> Step:
        """The message that opens the case."""
        return self.script[0]

    def steps_on(self, cue: Cue) -> tuple[Step, ...]:
        """The steps of one cue, in script order (the opening not among them)."""
        return tuple(step for step in self.script[1:] if step.when == cue)

    def document(self) -> dict[str, Any]:
        """The scenario as plain data in the file's own notation (durations as `5m`)."""
        data = self.model_dump(mode="json", exclude_none=True)
        for step in data["script"]:
            step["after"] = _duration_text(step["after"])
        for happened in data.get("history", ()):
            happened["after"] = _duration_text(happened["after"])
        expect = data["expect"]
        expect["first_response"] = _duration_text(expect["first_response"])
        expect["request_words"] = list(expect["request_words"])
        outcome = data.get("outcome")
        for key in ("answered_after", "resolved_after"):
            if outcome and key in outcome:
                outcome[key] = _duration_text(outcome[key])
        return data

    def to_yaml(self) -> str:
        """The scenario's file text."""
        return yaml.safe_dump(
            self.document(), sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
        )

    def to_json(self) -> str:
        """The scenario as one JSON document (what the library stores)."""
        return json.dumps(self.document(), ensure_ascii=False, separators=(",", ":"))


def _known_skill(value: str) -> str:
    if value not in SKILLS:
        raise ValueError(f"unknown skill {value!r} (known: {', '.join(SKILLS)})")
    return value


def _duration_text(seconds: int) -> str:
    return "0s" if seconds == 0 else format_duration(seconds * US_PER_SECOND)


class ScenarioInvalid(ValueError):
    """A scenario file with problems; `problems` names the line, field and problem of each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def read_scenario(text: str, source: str) -> Scenario:
    """One scenario file (YAML or JSON); ScenarioInvalid naming every problem."""
    data, lines, problems = read_yaml(text, source, SCENARIO_LIMITS)
    if problems:
        raise ScenarioInvalid(problems)
    if not isinstance(data, dict):
        raise ScenarioInvalid([Problem(source, 1, "", "expected a mapping (scenario: 1, id, ...)")])
    return scenario_from(data, source, lines.line_of)


def scenario_from(data: dict[str, Any], source: str, line_of: Any = None) -> Scenario:
    """A scenario from plain data; ScenarioInvalid naming every problem (`line_of(path)` gives
    a field's line when the data came from a file)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        found: list[Problem] = []
        for item in error.errors():
            path = tuple(part for part in item["loc"] if isinstance(part, str | int))
            line = line_of(path) if line_of is not None else None
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown field"
            found.append(Problem(source, line, format_path(path), message))
        raise ScenarioInvalid(found) from None


@dataclass(frozen=True, slots=True)
class Listing:
    """What the library shows of a scenario before it is opened."""

    id: str
    title: str
    skills: tuple[str, ...]
    difficulty: int
    steps: int

    @classmethod
    def of(cls, scenario: Scenario) -> Listing:
        """The listing of one scenario."""
        return cls(
            scenario.id, scenario.title, scenario.skills, scenario.difficulty, len(scenario.script)
        )
