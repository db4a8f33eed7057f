"""`reopened_at_least`: the case was reopened at least this many times."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StrictInt

from escalon.core.rules.base import ConditionRule
from escalon.core.rules.words import count

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: int, firing: Firing) -> bool:
    return run.state.reopened >= value


def _phrase(value: object) -> str:
    return f"the case has been reopened at least {count(value, 'once', '{} times')}"


RULE = ConditionRule("reopened_at_least", Annotated[StrictInt, Field(ge=1)], _holds, _phrase)
