"""`sentiment_below`: the detector reads the customer's text below this sentiment (-1 to 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from escalon.core.rules.base import READING, SIGNALS, TEXT, ConditionRule
from escalon.core.rules.words import number

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: float, firing: Firing) -> bool:
    if firing.text is None:
        return False
    return run.signals(firing).sentiment < value


def _phrase(value: object) -> str:
    return f"the customer's sentiment is below {number(value)}"


RULE = ConditionRule(
    "sentiment_below",
    Annotated[float, Field(ge=-1, le=1)],
    _holds,
    _phrase,
    reads=frozenset({TEXT, SIGNALS, READING}),
    cost=2,
)
