"""`breach_probability_above`: the forecast's breach probability is above this share (0 to 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from escalon.core.rules.base import ConditionRule

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: float, firing: Firing) -> bool:
    return firing.breach_probability is not None and firing.breach_probability > value


def _phrase(value: object) -> str:
    share = float(value) if isinstance(value, (int, float)) else 0.0
    return f"a breach is more than {share:.0%} likely"


RULE = ConditionRule(
    "breach_probability_above",
    Annotated[float, Field(ge=0, lt=1)],
    _holds,
    _phrase,
    only_on="sla.at_risk",
    cost=1,
    fingerprinted_unset=False,
)
