"""`set_priority`: set the priority `to` one, or `raise` it some steps towards the most urgent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictInt, model_validator

from escalon.core.rules.base import ActionRule, Checks, Path
from escalon.core.rules.fields import Name, Strict
from escalon.core.rules.words import both, count, plain, unknown

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


def _phrase(value: object) -> str:
    if not isinstance(value, Mapping) or not value:
        return f"set_priority: {plain(value)}"
    phrases = []
    for key, target in value.items():
        if key == "to":
            phrases.append(f"set the priority to {plain(target)}")
        elif key in ("raise", "raise_"):
            phrases.append("raise the priority " + count(target, "one step", "{} steps"))
        else:
            phrases.append(f"set_priority ({key}: {plain(target)})")
    return both(phrases)


def _check(checks: Checks, path: Path, spec: Any) -> None:
    order = checks.priorities
    if spec.to is not None and order is not None and spec.to not in order:
        checks.error(
            (*path, "to"),
            unknown("priority", spec.to, order, "priorities"),
        )


RULE = ActionRule("set_priority", SetPrioritySpec, _act, _phrase, check=_check)
