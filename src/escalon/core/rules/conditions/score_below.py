"""`score_below`: the survey's score is below this number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalon.core.rules.base import ConditionRule
from escalon.core.rules.words import number

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: float, firing: Firing) -> bool:
    return firing.score is not None and firing.score < value


def _phrase(value: object) -> str:
    return f"the survey score is below {number(value)}"


RULE = ConditionRule("score_below", float, _holds, _phrase, only_on="survey.answered", cost=1)
