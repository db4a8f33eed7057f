"""`team`: the case's team is one of the names listed."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from escalon.core.rules.base import Checks, Path
from escalon.core.rules.listed import listed_condition


def _check(checks: Checks, path: Path, value: Any) -> None:
    if checks.teams is not None:
        checks.known(value, sorted(checks.teams), path, "team")


RULE = listed_condition("team", attrgetter("state.team"), "the team", check=_check)
