"""`notify`: tell people, teams, on-call rotations or webhooks about the case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import ActionRule, Checks, Path
from escalon.core.rules.fields import Names
from escalon.core.rules.words import both, names, names_of, quoted, suggest

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

RECIPIENT_WORDS = ("assignee", "level_team", "supervisor")
RECIPIENT_PREFIXES = ("team", "person", "on_call", "webhook")
RECIPIENT_ENGLISH = {
    "assignee": "the assignee",
    "level_team": "the level's team",
    "supervisor": "the team of the level above",
}
PREFIX_ENGLISH = {
    "team": "the {} team",
    "person": "person {}",
    "on_call": "whoever is on call in {}",
    "webhook": "the {} webhook",
}


def recipient_of(run: Run, name: str) -> str:
    """Who a recipient word means on this case now (`assignee` -> `person:ana` or its team)."""
    levels = run.policy.levels
    level = run.state.level
    if name == "assignee":
        if run.state.assignee is not None:
            return f"person:{run.state.assignee}"
        return f"team:{levels[level].team}"
    if name == "level_team":
        return f"team:{levels[level].team}"
    if name == "supervisor":
        return f"team:{levels[min(level + 1, len(levels) - 1)].team}"
    return name


def _act(run: Run, value: tuple[str, ...], rule: str, firing: Firing, key: str, at: int) -> None:
    recipients: list[str] = []
    for name in value:
        who = recipient_of(run, name)
        if who not in recipients:  # a handful of names: a list beats a dict here
            recipients.append(who)
    details: dict[str, Any] = {"recipients": recipients}
    staffing = run.staffing
    if staffing is not None:
        details["reached"] = {name: staffing.reach(name, at) for name in recipients}
    run.record(at, rule, firing, "notify", key, details)


def recipient(name: str) -> str:
    """Who a recipient is in English: `on_call:specialists` -> `whoever is on call in specialists`."""
    if name in RECIPIENT_ENGLISH:
        return RECIPIENT_ENGLISH[name]
    prefix, colon, rest = name.partition(":")
    if colon and prefix in PREFIX_ENGLISH:
        return PREFIX_ENGLISH[prefix].format(rest)
    return quoted(name)


def _phrase(value: object) -> str:
    return f"notify {both(recipient(name) for name in names(value))}"


def _problem(checks: Checks, name: str) -> str | None:
    if name in RECIPIENT_WORDS:
        return None
    prefix, colon, rest = name.partition(":")
    if not colon or prefix not in RECIPIENT_PREFIXES:
        choices = [*RECIPIENT_WORDS, *(f"{p}:NAME" for p in RECIPIENT_PREFIXES)]
        return f"unknown recipient '{name}'; use one of {', '.join(choices)}"
    if not rest.strip():
        return f"'{name}' names nobody: write {prefix}:NAME"
    teams = checks.teams
    if prefix in {"team", "on_call"} and teams is not None and rest not in teams:
        return f"unknown team '{rest}'{suggest(rest, teams)}; teams: {names_of(sorted(teams))}"
    return None


def _check(checks: Checks, path: Path, value: Any) -> None:
    for index, name in enumerate(value):
        problem = _problem(checks, name)
        if problem:
            checks.error((*path, index), problem)


RULE = ActionRule("notify", Names, _act, _phrase, check=_check)
