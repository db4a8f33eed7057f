"""`category`: the case's category is one of the names listed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import Checks, ConditionRule, Path
from escalon.core.rules.fields import Names
from escalon.core.rules.words import either, names

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
    return run.state.category in value


def _phrase(value: object) -> str:
    return f"the category is {either(names(value))}"


def _check(checks: Checks, path: Path, value: Any) -> None:
    checks.undeclared_categories(value, path)


RULE = ConditionRule("category", Names, _holds, _phrase, check=_check)
