"""`above_authority`: the amount asked for exceeds what the requester (or level) may grant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import Checks, ConditionRule, Path
from escalon.core.rules.fields import Name
from escalon.core.rules.words import plain

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: str, firing: Firing) -> bool:
    amount = firing.approval_amount
    if firing.approval_kind != value or amount is None:
        return False
    limit = firing.approval_limit
    if limit is None:
        limit = run.policy.authority(run.state.level, value)
    return amount > limit


def _phrase(value: object) -> str:
    return f"the amount asked for is above the current level's {plain(value)} authority"


def _check(checks: Checks, path: Path, value: Any) -> None:
    if checks.level_names is not None and value not in checks.authority_kinds:
        checks.warn(
            path,
            f"no level grants authority for '{value}', so every amount is above authority",
        )


RULE = ConditionRule(
    "above_authority",
    Name,
    _holds,
    _phrase,
    only_on="approval.requested",
    check=_check,
    cost=1,
)
