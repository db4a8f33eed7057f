"""`tier`: the case's tier is one of the names listed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalon.core.rules.base import ConditionRule
from escalon.core.rules.fields import Names
from escalon.core.rules.words import either, names

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
    return run.state.tier in value


def _phrase(value: object) -> str:
    return f"the customer's tier is {either(names(value))}"


RULE = ConditionRule("tier", Names, _holds, _phrase)
