"""`level`: the case stands at one of the levels listed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import Checks, ConditionRule, Path
from escalon.core.rules.fields import Names
from escalon.core.rules.words import either, names

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
    return run.policy.levels[run.state.level].name in value


def _phrase(value: object) -> str:
    return f"the level is {either(names(value))}"


def _check(checks: Checks, path: Path, value: Any) -> None:
    if checks.level_names is not None:
        checks.known(value, checks.level_names, path, "level")


RULE = ConditionRule("level", Names, _holds, _phrase, check=_check)
