"""`assign`: give the case to an agent of its team by a strategy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from escalon.core.rules.base import ActionRule
from escalon.core.rules.fields import Strict
from escalon.core.rules.words import plain

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

STRATEGY_WORDS = {
    "round_robin": "assign the case to the next agent in turn (round robin)",
    "least_loaded": "assign the case to the least loaded agent",
    "on_call": "assign the case to whoever is on call",
}


class AssignSpec(Strict):
    """`assign`: how to pick an agent."""

    strategy: Literal["round_robin", "least_loaded", "on_call"]


def _act(run: Run, spec: AssignSpec, rule: str, firing: Firing, key: str, at: int) -> None:
    if run.staffing is not None:
        run.assign_in_team(at, rule, firing, key, strategy=spec.strategy)
        return
    # Without a staffing (the replay without a roster) the decision only says what to do.
    state = run.state
    details: dict[str, Any] = {"strategy": spec.strategy, "team": state.team}
    if state.assignee is not None:
        details["assignee"] = state.assignee
    run.record(at, rule, firing, "assign", key, details)


def _phrase(value: object) -> str:
    if isinstance(value, Mapping) and set(value) == {"strategy"}:
        strategy = plain(value["strategy"])
        return STRATEGY_WORDS.get(strategy, f"assign the case by {strategy.replace('_', ' ')}")
    return f"assign: {plain(value)}"


RULE = ActionRule("assign", AssignSpec, _act, _phrase)
