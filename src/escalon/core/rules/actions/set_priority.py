"""`set_priority`: set the priority `to` one, or `raise` it some steps towards the most urgent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictInt, model_validator

from escalon.core.rules.base import ActionRule, Checks, Path, check_name
from escalon.core.rules.fields import Name, Strict
from escalon.core.rules.words import by_key, count, plain

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


class SetPrioritySpec(Strict):
    """`set_priority`: exactly one of `to` and `raise`."""

    to: Name | None = None
    raise_: StrictInt | None = Field(default=None, ge=1, alias="raise")

    @model_validator(mode="after")
    def _exactly_one(self) -> SetPrioritySpec:
        if (self.to is None) == (self.raise_ is None):
            raise ValueError("set_priority takes exactly one of 'to' and 'raise'")
        return self


def _act(run: Run, spec: SetPrioritySpec, rule: str, firing: Firing, key: str, at: int) -> None:
    state = run.state
    wanted = spec.to
    if wanted is None:
        wanted = run.policy.raise_priority(state.priority, spec.raise_ or 0)
    if wanted != state.priority:
        previous = state.priority
        state.priority = wanted
        run.record(at, rule, firing, "set_priority", key, {"from": previous, "to": wanted})
        run.select_sla(at)


def _raise(steps: object) -> str:
    return "raise the priority " + count(steps, "one step", "{} steps")


_PHRASES: dict[str, Callable[[object], str]] = {
    "to": lambda priority: f"set the priority to {plain(priority)}",
    "raise": _raise,
    "raise_": _raise,
}


def _phrase(value: object) -> str:
    return by_key("set_priority", value, _PHRASES)


def _check(checks: Checks, path: Path, spec: Any) -> None:
    check_name(checks, (*path, "to"), spec.to, checks.priorities, "priority", "priorities")


RULE = ActionRule("set_priority", SetPrioritySpec, _act, _phrase, check=_check)
