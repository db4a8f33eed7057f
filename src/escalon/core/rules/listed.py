"""Conditions that hold when a name of the case is among those listed (its priority, team,
level, category, channel or tier), each made from what it reads and how it reads in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import Checks, ConditionRule, Path
from escalon.core.rules.fields import Names
from escalon.core.rules.words import either, names

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def listed_condition(
    name: str,
    read: Callable[[Run], str | None],
    subject: str,
    *,
    check: Callable[[Checks, Path, Any], None] | None = None,
) -> ConditionRule:
    """The condition `name: [a, b]`: `read` gives the case's name now; `subject` is what the
    English says is one of them (`the priority`)."""

    def holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
        return read(run) in value

    def phrase(value: object) -> str:
        return f"{subject} is {either(names(value))}"

    return ConditionRule(name, Names, holds, phrase, check=check)
