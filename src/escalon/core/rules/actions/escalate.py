"""`escalate`: move the case up the ladder: `up` levels, `to` a level, or `to_authority`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, StrictInt, model_validator

from escalon.core.rules.base import ActionRule, Checks, Path
from escalon.core.rules.fields import Name, Strict
from escalon.core.rules.words import both, count, plain, unknown

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


def _phrase(value: object) -> str:
    if not isinstance(value, Mapping) or not value:
        return f"escalate: {plain(value)}"
    phrases = []
    for key, target in value.items():
        if key == "up":
            phrases.append("escalate " + count(target, "one level up", "{} levels up"))
        elif key == "to":
            phrases.append(f"escalate to {plain(target)}")
        elif key == "to_authority":
            phrases.append(
                f"escalate to the lowest level whose {plain(target)} authority covers the amount"
            )
        else:
            phrases.append(f"escalate ({key}: {plain(target)})")
    return both(phrases)


def _check(checks: Checks, path: Path, spec: Any) -> None:
    names = checks.level_names
    if spec.to is not None and names is not None and spec.to not in names:
        checks.error(
            (*path, "to"),
            unknown("level", spec.to, names, "levels"),
        )
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
