"""The policy file's typed shape (Pydantic): what each section may hold and its local checks.

Cross-references (a rule naming a level, an SLA naming a calendar...) are checked afterwards by
`escalon.core.policy.check`, which sees the whole document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, create_model, model_validator

from escalon.core.rules import ACTIONS, CONDITIONS, PARAMETERS, TEXT_CONDITIONS, TIMED_TRIGGERS
from escalon.core.rules import TRIGGERS as TRIGGER_RULES
from escalon.core.rules.actions.assign import AssignSpec
from escalon.core.rules.actions.escalate import EscalateSpec
from escalon.core.rules.actions.route import RouteSpec
from escalon.core.rules.actions.set_priority import SetPrioritySpec
from escalon.core.rules.fields import (
    LANGUAGE_CODE,
    METRICS,
    UNLIMITED,
    Amount,
    CategoryName,
    DurationUs,
    Fraction,
    Keyword,
    Keywords,
    Languages,
    Metric,
    Name,
    Names,
    RootCauseCode,
    RootCauseLabel,
    Strict,
    Version,
)

TRIGGERS: tuple[str, ...] = tuple(TRIGGER_RULES)
if TYPE_CHECKING:
    Trigger = str
else:
    Trigger = Literal[TRIGGERS]
TRIGGERS_WITH_AFTER = frozenset(
    name for name, rule in TRIGGER_RULES.items() if "after" in rule.required
)
TRIGGERS_WITH_METRIC = frozenset(
    name
    for name, rule in TRIGGER_RULES.items()
    if any(parameter.name == "metric" for parameter in rule.parameters)
)

STATUSES = ("open", "pending_customer", "pending_third_party", "on_hold", "resolved", "closed")
Status = Literal["open", "pending_customer", "pending_third_party", "on_hold", "resolved", "closed"]
# `pending_third_party` pauses an SLA only when its `pause_on` lists it (not by default).
PausableStatus = Literal["pending_customer", "pending_third_party", "on_hold"]
DEFAULT_PAUSE_ON: tuple[PausableStatus, ...] = ("pending_customer", "on_hold")

ASSIGN_STRATEGIES = ("round_robin", "least_loaded", "on_call")
ACTION_KINDS: tuple[str, ...] = tuple(ACTIONS)


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


class CustomerCalendar(Strict):
    """An SLA's clocks on the customer organisation's calendar, else on a named one."""

    customer: Literal[True]
    fallback: Name


def _calendar_form(value: Any) -> str:
    """Which form an SLA's calendar takes: a name, or a mapping that follows the customer."""
    # Validation sees the file's mapping; serialisation (the fingerprint) sees the model.
    return "customer-calendar" if isinstance(value, dict | CustomerCalendar) else "named-calendar"


# The forms' tags, which the checker leaves out of the paths it names.
CALENDAR_FORMS = frozenset({"customer-calendar", "named-calendar"})
SlaCalendar = Annotated[
    Annotated[Name, Tag("named-calendar")] | Annotated[CustomerCalendar, Tag("customer-calendar")],
    Discriminator(_calendar_form),
]


class SlaSpec(Strict):
    """One service level agreement."""

    name: Name
    when: SlaWhen | None = None
    calendar: SlaCalendar
    warn_at: Fraction = 0.75
    pause_on: tuple[PausableStatus, ...] = DEFAULT_PAUSE_ON
    targets: Targets = Field(default_factory=Targets)

    @property
    def calendar_name(self) -> str:
        """The policy calendar this SLA names (its fallback when it follows the customer)."""
        calendar = self.calendar
        return calendar if isinstance(calendar, str) else calendar.fallback

    @property
    def calendar_label(self) -> str:
        """The calendar as people read it: its name, or the customer's with its fallback."""
        calendar = self.calendar
        return calendar if isinstance(calendar, str) else f"customer's, else {calendar.fallback}"

    @property
    def follows_customer(self) -> bool:
        """Whether the clocks run on the customer organisation's calendar when it has one."""
        return not isinstance(self.calendar, str)


class ConditionsBase(Strict):
    """What every rule's `if` can do; its fields come from the registry's conditions."""

    def reads_text(self) -> bool:
        """Whether a condition reads the triggering text (intent, language, sentiment, phrases)."""
        return any(getattr(self, name) is not None for name in TEXT_CONDITIONS)

    def listed(self) -> list[str]:
        """The names of the conditions this rule sets."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]

    def value(self, name: str) -> Any:
        """The value of one condition (None when unset)."""
        return getattr(self, name)


class ActionBase(Strict):
    """What every entry of a rule's `do` can do; its fields come from the registry's actions."""

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

    @property
    def value(self) -> Any:
        """The action's own settings (an `EscalateSpec`, a list of recipients...)."""
        return getattr(self, self.kind)


class RuleBase(Strict):
    """What every rule can do; its fields come from the registry's triggers' parameters."""

    if TYPE_CHECKING:
        # The fields `create_model` gives it below, as the type checker should see them.
        name: str
        trigger: str
        metric: str | None
        after: int | None
        conditions: ConditionsBase
        do: tuple[ActionBase, ...]

    def parameter(self, name: str) -> Any:
        """The value of one of the trigger's parameters (`metric`, `after`, `by`...)."""
        return getattr(self, name)


if TYPE_CHECKING:
    Conditions = ConditionsBase
    ActionSpec = ActionBase
    RuleSpec = RuleBase
else:
    Conditions = create_model(
        "Conditions",
        __base__=ConditionsBase,
        __doc__="A rule's `if`: every listed condition must hold.",
        **{name: (rule.annotation | None, None) for name, rule in CONDITIONS.items()},
    )
    ActionSpec = create_model(
        "ActionSpec",
        __base__=ActionBase,
        __doc__="One entry of a rule's `do`: a mapping with exactly one action key.",
        **{name: (rule.annotation | None, None) for name, rule in ACTIONS.items()},
    )
    RuleSpec = create_model(
        "RuleSpec",
        __base__=RuleBase,
        __doc__="One rule of the escalation matrix.",
        name=(Name, ...),
        trigger=(Trigger, ...),
        **{name: (parameter.annotation | None, None) for name, parameter in PARAMETERS.items()},
        conditions=(Conditions, Field(default_factory=Conditions, alias="if")),
        do=(tuple[ActionSpec, ...], Field(min_length=1)),
    )


class CategorySpec(Strict):
    """One entry of `categories`: the words and phrases that give a case this category."""

    keywords: Keywords = ()


class RootCauseSpec(Strict):
    """One entry of `root_causes`: a cause people pick when they resolve an escalated case."""

    label: RootCauseLabel | None = None  # what people read; the code when left out


class KnowledgeSpec(Strict):
    """The `knowledge` section: what the knowledge base may do on the policy's cases."""

    # Send the best-matching public article with the acknowledgement when it answers the
    # customer's first message at least this well (cosine similarity, 0 to 1); never when unset.
    acknowledgement_article: float | None = Field(None, gt=0, le=1)


# What an OLA may pause on: not `pending_third_party`, which is the team's own wait to chase.
OlaPause = Literal["pending_customer", "on_hold"]


class OlaSpec(Strict):
    """One entry of `ola`: a team's internal target to act on a case it receives."""

    act_within: DurationUs
    warning: Fraction = 0.75
    calendar: Name | None = None  # real time when unset
    pause_on: tuple[OlaPause, ...] = ("pending_customer",)


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
    # The causes a resolution of an escalated case names (code -> label or details).
    root_causes: dict[RootCauseCode, RootCauseLabel | RootCauseSpec] = Field(
        default_factory=dict, max_length=200
    )
    # The languages the team's customers write; only `policy check` reads it.
    languages: Languages | None = None
    knowledge: KnowledgeSpec | None = None
    # Per team, its internal target (an operational level agreement).
    ola: dict[Name, OlaSpec] | None = Field(None, max_length=200)


# What other modules import from here, the re-exported registry shapes included.
__all__ = [
    "ACTION_KINDS",
    "ASSIGN_STRATEGIES",
    "DEFAULT_PAUSE_ON",
    "LANGUAGE_CODE",
    "METRICS",
    "STATUSES",
    "TEXT_CONDITIONS",
    "TIMED_TRIGGERS",
    "TRIGGERS",
    "TRIGGERS_WITH_AFTER",
    "TRIGGERS_WITH_METRIC",
    "UNLIMITED",
    "ActionSpec",
    "AssignSpec",
    "CategoryName",
    "CategorySpec",
    "Conditions",
    "EscalateSpec",
    "Keyword",
    "KnowledgeSpec",
    "Languages",
    "LevelSpec",
    "Metric",
    "Name",
    "Names",
    "OlaSpec",
    "PolicyDocument",
    "PrioritySpec",
    "RootCauseCode",
    "RootCauseLabel",
    "RootCauseSpec",
    "RouteSpec",
    "RuleSpec",
    "SetPrioritySpec",
    "SlaSpec",
    "SlaWhen",
    "Strict",
    "Targets",
    "Version",
]
