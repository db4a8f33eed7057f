"""`escalate`: move the case up the ladder: `up` levels, `to` a level, or `to_authority`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictInt, model_validator

from escalon.core.rules.base import ActionRule, Checks, Path, check_name
from escalon.core.rules.fields import Name, Strict
from escalon.core.rules.words import by_key, count, plain

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


class EscalateSpec(Strict):
    """`escalate`: exactly one of `up`, `to`, `to_authority`."""

    up: StrictInt | None = Field(default=None, ge=1)
    to: Name | None = None
    to_authority: Name | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EscalateSpec:
        given = [key for key in ("up", "to", "to_authority") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("escalate takes exactly one of 'up', 'to' or 'to_authority'")
        return self


def _target(run: Run, spec: EscalateSpec, firing: Firing) -> int | None:
    """The level the case should reach (None: no amount to find a level for)."""
    state = run.state
    policy = run.policy
    if spec.up is not None:
        return min(state.level + spec.up, len(policy.levels) - 1)
    if spec.to is not None:
        return policy.level_index[spec.to]
    kind = spec.to_authority
    assert kind is not None
    amount = firing.approval_amount if firing.approval_kind == kind else None
    if amount is None and state.approval_kind == kind:
        amount = state.approval_amount
    if amount is None:
        return None
    return policy.level_covering(kind, amount)


def _act(run: Run, spec: EscalateSpec, rule: str, firing: Firing, key: str, at: int) -> None:
    target = _target(run, spec, firing)
    if target is not None and target > run.state.level:
        run.change_level(target, at, rule, firing, key, {})


_PHRASES: dict[str, Callable[[object], str]] = {
    "up": lambda up: "escalate " + count(up, "one level up", "{} levels up"),
    "to": lambda level: f"escalate to {plain(level)}",
    "to_authority": lambda kind: (
        f"escalate to the lowest level whose {plain(kind)} authority covers the amount"
    ),
}


def _phrase(value: object) -> str:
    return by_key("escalate", value, _PHRASES)


def _check(checks: Checks, path: Path, spec: Any) -> None:
    names = checks.level_names
    check_name(checks, (*path, "to"), spec.to, names, "level", "levels")
    if (
        spec.to_authority is not None
        and names is not None
        and spec.to_authority not in checks.authority_kinds
    ):
        checks.warn(
            (*path, "to_authority"),
            f"no level grants authority for '{spec.to_authority}': escalates to the top level",
        )


RULE = ActionRule("escalate", EscalateSpec, _act, _phrase, check=_check)
