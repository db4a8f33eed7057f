"""`level`: the case stands at one of the levels listed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import Checks, Path
from escalon.core.rules.listed import listed_condition

if TYPE_CHECKING:
    from escalon.core.engine import Run


def _level(run: Run) -> str:
    return run.policy.levels[run.state.level].name


def _check(checks: Checks, path: Path, value: Any) -> None:
    if checks.level_names is not None:
        checks.known(value, checks.level_names, path, "level")


RULE = listed_condition("level", _level, "the level", check=_check)
