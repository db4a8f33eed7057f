"""`route`: hand the case to another team (functional escalation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import ActionRule, Checks, Path, check_name
from escalon.core.rules.fields import Name, Strict
from escalon.core.rules.words import plain

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


class RouteSpec(Strict):
    """`route`: functional escalation to a team."""

    team: Name


def _act(run: Run, spec: RouteSpec, rule: str, firing: Firing, key: str, at: int) -> None:
    run.route(spec.team, at, rule, firing, key, {})


def _phrase(value: object) -> str:
    if isinstance(value, Mapping) and set(value) == {"team"}:
        return f"route the case to the {plain(value['team'])} team"
    return f"route: {plain(value)}"


def _check(checks: Checks, path: Path, spec: Any) -> None:
    teams = None if checks.teams is None else sorted(checks.teams)
    check_name(checks, (*path, "team"), spec.team, teams, "team", "teams")


RULE = ActionRule("route", RouteSpec, _act, _phrase, check=_check)
