"""`notify`: tell people, teams, on-call rotations or webhooks about the case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core import recipients
from escalon.core.rules.base import ActionRule, Checks, Path
from escalon.core.rules.fields import Names
from escalon.core.rules.words import both, names

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _act(run: Run, value: tuple[str, ...], rule: str, firing: Firing, key: str, at: int) -> None:
    state = run.state
    on_case = [
        recipients.on_case(name, run.policy.levels, state.level, state.assignee) for name in value
    ]
    run.record(
        at, rule, firing, "notify", key, recipients.notice_details(on_case, run.staffing, at)
    )


def _phrase(value: object) -> str:
    return f"notify {both(recipients.english(name) for name in names(value))}"


def _check(checks: Checks, path: Path, value: Any) -> None:
    for index, name in enumerate(value):
        problem = recipients.problem(name, checks.teams)
        if problem:
            checks.error((*path, index), problem)


RULE = ActionRule("notify", Names, _act, _phrase, check=_check)
