"""`priority`: the case's priority is one of the names listed."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from escalon.core.rules.base import Checks, Path
from escalon.core.rules.listed import listed_condition


def _check(checks: Checks, path: Path, value: Any) -> None:
    if checks.priorities is not None:
        checks.known(value, checks.priorities, path, "priority")


RULE = listed_condition("priority", attrgetter("state.priority"), "the priority", check=_check)
