"""The policy file's typed shape (Pydantic): what each section may hold and its local checks.

Cross-references (a rule naming a level, an SLA naming a calendar...) are checked afterwards by
`escalon.core.policy.check`, which sees the whole document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)

from escalon.core.durations import parse_duration, parse_fraction

Metric = Literal["first_response", "next_response", "periodic_update", "resolution"]
METRICS: tuple[str, ...] = get_args(Metric)

Trigger = Literal[
    "case.opened",
    "customer.message",
    "sla.warning",
    "sla.breach",
    "case.reopened",
    "escalation.unacknowledged",
    "level.timeout",
    "approval.requested",
    "survey.answered",
]
TRIGGERS: tuple[str, ...] = get_args(Trigger)
TIMED_TRIGGERS = frozenset(
    {"sla.warning", "sla.breach", "escalation.unacknowledged", "level.timeout"}
)
TRIGGERS_WITH_AFTER = frozenset({"escalation.unacknowledged", "level.timeout"})
TRIGGERS_WITH_METRIC = frozenset({"sla.warning", "sla.breach"})

STATUSES = ("open", "pending_customer", "on_hold", "resolved", "closed")
Status = Literal["open", "pending_customer", "on_hold", "resolved", "closed"]
PausableStatus = Literal["pending_customer", "on_hold"]
DEFAULT_PAUSE_ON: tuple[PausableStatus, ...] = ("pending_customer", "on_hold")

ASSIGN_STRATEGIES = ("round_robin", "least_loaded", "on_call")
ACTION_KINDS = ("escalate", "route", "set_priority", "assign", "notify", "notify_customer", "tag")
UNLIMITED = float("inf")


def _as_names(value: object) -> object:
    """Let a single name stand for a one-element list."""
    if isinstance(value, str):
        return [value]
    return value


def _non_empty(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("must list at least one name")
    if any(not item.strip() for item in value):
        raise ValueError("names must not be empty")
    return value


def _keyword(value: str) -> str:
    if not value.strip():
        raise ValueError("a keyword must not be blank")
    return value


def _duration(value: object) -> int:
    return parse_duration(value)


def _fraction(value: object) -> float:
    return parse_fraction(value)


def _version(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a version number or name, got {value!r}")
    return str(value)


def _amount(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return UNLIMITED
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected an amount (a number) or 'unlimited', got {value!r}")
    if value < 0:
        raise ValueError(f"{value!r}: an authority cannot be negative")
    return float(value)


Names = Annotated[tuple[str, ...], BeforeValidator(_as_names), AfterValidator(_non_empty)]
LANGUAGE_CODE = r"^[a-z]{2}$"
# ISO 639-1 codes, lower case: `en`, `de`...
Languages = Annotated[
    tuple[Annotated[str, Field(pattern=LANGUAGE_CODE)], ...],
    BeforeValidator(_as_names),
    AfterValidator(_non_empty),
]
DurationUs = Annotated[int, BeforeValidator(_duration)]
Fraction = Annotated[float, BeforeValidator(_fraction)]
Amount = Annotated[float, BeforeValidator(_amount)]
Name = Annotated[str, Field(min_length=1)]
CategoryName = Annotated[str, Field(min_length=1, max_length=100)]  # a case's category column
Keyword = Annotated[str, Field(max_length=200), AfterValidator(_keyword)]
# Bounded, so a policy cannot make every case's opening scan an endless alternation.
Keywords = Annotated[tuple[Keyword, ...], BeforeValidator(_as_names), Field(max_length=1000)]
Version = Annotated[str, BeforeValidator(_version), Field(min_length=1)]


class Strict(BaseModel):
    """Every policy section: unknown keys are errors and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PrioritySpec(Strict):
    """`priority`: the order of priorities and the impact x urgency matrix."""

    order: tuple[Name, ...] = Field(min_length=1)
    impact: tuple[Name, ...] = ()
    urgency: tuple[Name, ...] = ()
    matrix: tuple[tuple[Name, ...], ...] = ()
    default: Name


class LevelSpec(Strict):
    """One rung of the escalation ladder."""

    name: Name
    team: Name
    authority: dict[str, Amount] = Field(default_factory=dict)


class SlaWhen(Strict):
    """Which cases an SLA applies to: every listed field must match one of its values."""

    priority: Names | None = None
    tier: Names | None = None
    category: Names | None = None
    channel: Names | None = None
    team: Names | None = None


class Targets(Strict):
    """Target durations per clock metric (microseconds)."""

    first_response: DurationUs | None = None
    next_response: DurationUs | None = None
    periodic_update: DurationUs | None = None
    resolution: DurationUs | None = None

    def get(self, metric: str) -> int | None:
        """The target of one metric, or None when this SLA sets none."""
        value: int | None = getattr(self, metric)
        return value


class SlaSpec(Strict):
    """One service level agreement."""

    name: Name
    when: SlaWhen | None = None
    calendar: Name
    warn_at: Fraction = 0.75
    pause_on: tuple[PausableStatus, ...] = DEFAULT_PAUSE_ON
    targets: Targets = Field(default_factory=Targets)


# The conditions that read the triggering text: they hold only on triggers that carry one.
TEXT_CONDITIONS = ("intent", "language", "sentiment_below", "contains")


class Conditions(Strict):
    """A rule's `if`: every listed condition must hold."""

    priority: Names | None = None
    tier: Names | None = None
    category: Names | None = None
    channel: Names | None = None
    team: Names | None = None
    level: Names | None = None
    intent: Names | None = None
    language: Languages | None = None
    sentiment_below: float | None = Field(default=None, ge=-1, le=1)
    contains: Names | None = None
    reopened_at_least: StrictInt | None = Field(default=None, ge=1)
    above_authority: Name | None = None
    score_below: float | None = None

    def reads_text(self) -> bool:
        """Whether a condition reads the triggering text (intent, language, sentiment, phrases)."""
        return any(getattr(self, name) is not None for name in TEXT_CONDITIONS)

    def listed(self) -> list[str]:
        """The names of the conditions this rule sets."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class EscalateSpec(Strict):
    """`escalate`: exactly one of `up`, `to`, `to_authority`."""

    up: StrictInt | None = Field(default=None, ge=1)
    to: Name | None = None
    to_authority: Name | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EscalateSpec:
        given = [key for key in ("up", "to", "to_authority") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("escalate takes exactly one of 'up', 'to' or 'to_authority'")
        return self


class RouteSpec(Strict):
    """`route`: functional escalation to a team."""

    team: Name


class SetPrioritySpec(Strict):
    """`set_priority`: exactly one of `to` and `raise`."""

    to: Name | None = None
    raise_: StrictInt | None = Field(default=None, ge=1, alias="raise")

    @model_validator(mode="after")
    def _exactly_one(self) -> SetPrioritySpec:
        if (self.to is None) == (self.raise_ is None):
            raise ValueError("set_priority takes exactly one of 'to' and 'raise'")
        return self


class AssignSpec(Strict):
    """`assign`: how to pick an agent."""

    strategy: Literal["round_robin", "least_loaded", "on_call"]


class ActionSpec(Strict):
    """One entry of a rule's `do`: a mapping with exactly one action key."""

    escalate: EscalateSpec | None = None
    route: RouteSpec | None = None
    set_priority: SetPrioritySpec | None = None
    assign: AssignSpec | None = None
    notify: Names | None = None
    notify_customer: Name | None = None
    tag: Names | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) != 1:
            keys = ", ".join(map(str, data)) or "nothing"
            raise ValueError(
                f"an action is a mapping with exactly one key ({', '.join(ACTION_KINDS)}); "
                f"this one has {keys}"
            )
        return data

    @property
    def kind(self) -> str:
        """Which action this is (`escalate`, `route`...)."""
        for kind in ACTION_KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated actions always have a kind")


class RuleSpec(Strict):
    """One rule of the escalation matrix."""

    name: Name
    trigger: Trigger
    metric: Metric | None = None
    after: DurationUs | None = None
    conditions: Conditions = Field(default_factory=Conditions, alias="if")
    do: tuple[ActionSpec, ...] = Field(min_length=1)


class CategorySpec(Strict):
    """One entry of `categories`: the words and phrases that give a case this category."""

    keywords: Keywords = ()


class PolicyDocument(Strict):
    """A whole policy file, checked field by field."""

    name: Name
    version: Version
    calendars: dict[str, dict[str, Any]] = Field(min_length=1)
    priority: PrioritySpec
    levels: tuple[LevelSpec, ...] = Field(min_length=1)
    teams: tuple[Name, ...] = ()
    slas: tuple[SlaSpec, ...]
    rules: tuple[RuleSpec, ...] = ()
    categories: dict[CategoryName, CategorySpec] = Field(default_factory=dict)
    # The languages the team's customers write; only `policy check` reads it.
    languages: Languages | None = None
