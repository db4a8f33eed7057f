"""The rule registry: every trigger, condition and action, each declared in one module.

The policy model, the checker, the engine's dispatch, the replay's need for text signals, the
policy's English and the notifications' urgency are all derived from these three tables.

To add one: write its module under `triggers/`, `conditions/` or `actions/` (a `RULE` built
from `base`: name, parameters or field type, what it reads, its engine hook, its checks, its
English), list it in that package's `ALL` (the order is the format's: it orders the English
and the model's fields), test it, and document it in docs/policies.md. A trigger that needs to
remember something between events keeps it in `CaseState.remembered` under its own name.
"""

from __future__ import annotations

from escalon.core.rules import actions, conditions, triggers
from escalon.core.rules.base import (
    READING,
    SIGNALS,
    TEXT,
    ActionRule,
    ConditionRule,
    Parameter,
    TriggerRule,
)

TRIGGERS: dict[str, TriggerRule] = {rule.name: rule for rule in triggers.ALL}
CONDITIONS: dict[str, ConditionRule] = {rule.name: rule for rule in conditions.ALL}
ACTIONS: dict[str, ActionRule] = {rule.name: rule for rule in actions.ALL}

# Every parameter some trigger takes, in the order triggers first name them.
PARAMETERS: dict[str, Parameter] = {
    parameter.name: parameter for rule in triggers.ALL for parameter in rule.parameters
}
TIMED_TRIGGERS = frozenset(name for name, rule in TRIGGERS.items() if rule.timed)
TEXT_TRIGGERS = frozenset(name for name, rule in TRIGGERS.items() if rule.carries_text)
# A notification set off by one of these goes out at once, whatever the batching.
URGENT_TRIGGERS = frozenset(name for name, rule in TRIGGERS.items() if rule.urgent)
# Conditions that read the triggering text: they hold only on triggers that carry one.
TEXT_CONDITIONS = tuple(name for name, rule in CONDITIONS.items() if TEXT in rule.reads)
# Conditions whose answer is the detector's reading of the text, in its language.
READING_CONDITIONS = tuple(name for name, rule in CONDITIONS.items() if READING in rule.reads)


def takers(parameter: str) -> tuple[str, ...]:
    """The triggers that take a parameter, in registry order."""
    return tuple(
        name
        for name, rule in TRIGGERS.items()
        if any(taken.name == parameter for taken in rule.parameters)
    )


__all__ = [
    "ACTIONS",
    "CONDITIONS",
    "PARAMETERS",
    "READING",
    "READING_CONDITIONS",
    "SIGNALS",
    "TEXT",
    "TEXT_CONDITIONS",
    "TEXT_TRIGGERS",
    "TIMED_TRIGGERS",
    "TRIGGERS",
    "URGENT_TRIGGERS",
    "ActionRule",
    "ConditionRule",
    "Parameter",
    "TriggerRule",
    "takers",
]
