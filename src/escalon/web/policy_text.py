"""The escalation policy in words: rules as English sentences, durations, amounts, calendars.

Pure functions over a policy's parts, testable without HTTP. The policy format may grow (new
triggers, conditions, actions, fields), so every function here reads plain data defensively: a
part it does not know is shown as `key: value`, never an error that would break the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from escalon.core.rules.english import (
    RULE_KEYS,
    action_phrase,
    condition_phrase,
    rule_sentence,
    trigger_clause,
)
from escalon.core.rules.words import (
    SECOND_US,
    both,
    either,
    metric_name,
    names,
    number,
    plain,
    quoted,
    span,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def authority(limits: Mapping[str, float]) -> list[str]:
    """A level's authority, one limit each: `refund up to 500`, `refund without limit`."""
    return [
        f"{kind} without limit" if amount == math.inf else f"{kind} up to {number(amount)}"
        for kind, amount in limits.items()
    ]


def percent(fraction: float) -> str:
    """0.75 -> 75%."""
    return f"{number(round(fraction * 100, 2))}%"


# -- calendars and SLAs --------------------------------------------------------------------------


def opening_hours(hours: object) -> list[str]:
    """A calendar's `hours`, consecutive days with the same hours together: `mon–fri 09:00-17:00`."""
    if hours == "always":
        return ["open at every hour of every day"]
    if not isinstance(hours, Mapping):
        return [plain(hours)]
    lines = []
    days = [(day, names(hours[day]) if day in hours else []) for day in WEEKDAYS]
    start = 0
    for end in range(1, len(days) + 1):
        if end < len(days) and days[end][1] == days[start][1]:
            continue
        first, spans = days[start]
        label = first if end - start == 1 else f"{first}–{days[end - 1][0]}"
        if spans:
            lines.append(f"{label} {', '.join(spans)}")
        start = end
    lines.extend(f"{key}: {plain(value)}" for key, value in hours.items() if key not in WEEKDAYS)
    return lines or ["closed every day"]


def sla_condition(when: Mapping[str, Any], *, skip: Iterable[str] = ()) -> list[str]:
    """An SLA's `when`, one clause per field: `tier is enterprise`."""
    left_out = set(skip)
    return [
        f"{key} is {either(names(value))}"
        for key, value in when.items()
        if key not in left_out and value is not None
    ]


# The rules' words live in the core (`escalon.core.rules.english`), shared with the CLI.
__all__ = [
    "RULE_KEYS",
    "SECOND_US",
    "WEEKDAYS",
    "action_phrase",
    "authority",
    "both",
    "condition_phrase",
    "either",
    "metric_name",
    "names",
    "number",
    "opening_hours",
    "percent",
    "plain",
    "quoted",
    "rule_sentence",
    "sla_condition",
    "span",
    "trigger_clause",
]
