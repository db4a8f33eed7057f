"""`category`: the case's category is one of the names listed."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from escalon.core.rules.base import Checks, Path
from escalon.core.rules.listed import listed_condition


def _check(checks: Checks, path: Path, value: Any) -> None:
    checks.undeclared_categories(value, path)


RULE = listed_condition("category", attrgetter("state.category"), "the category", check=_check)
