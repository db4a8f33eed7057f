"""`customer.sentiment_drop`: the customer's sentiment fell by at least `by` since their
previous message (the opening text counts as the first).

It rides on each customer message: the detector reads the message, the case remembers its
sentiment, and the rules whose `by` the fall reaches fire, with the message's text for their
conditions. Without a detector nothing is read, remembered or fired.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from escalon.core.rules.base import READING, SIGNALS, Parameter, TriggerRule
from escalon.core.rules.words import number

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

NAME = "customer.sentiment_drop"
# Sentiment lies in [-1, 1], so a fall is at most 2; a fall of 0 would fire on every message.
BY = Parameter(
    "by",
    Annotated[float, Field(gt=0, le=2)],
    "'by'",
    needed="{trigger} needs 'by' (how far the sentiment must fall, from 0 to 2), e.g. 0.5",
)
# Sentiments come out of arithmetic on word scores: a fall equal to `by` on paper may be a
# hair below it in floating point.
_TOLERANCE = 1e-9


def _clause(parameters: Mapping[str, Any]) -> str:
    by = parameters.get("by")
    if by is None:
        return "the customer's sentiment falls from one message to the next"
    return (
        f"the customer's sentiment has fallen by at least {number(by)} since their previous message"
    )


def _react(run: Run, rules: tuple[int, ...], message: Firing, at: int) -> None:
    """Compare the message's sentiment with the previous one's; fire the rules it reaches."""
    if run.analyzer is None or message.text is None:
        return
    state = run.state
    previous = state.remembered.get(NAME)
    current = run.signals(message).sentiment
    # Replaced, not changed in place: copies of the state share the mapping.
    state.remembered = {**state.remembered, NAME: current}
    if previous is None:
        return
    fall = previous - current
    firing = None
    for index in rules:
        if fall + _TOLERANCE >= run.policy.rules[index].parameter("by"):
            if firing is None:
                firing = run.firing_like(NAME, message)
            run.fire_rule(index, at, firing)


RULE = TriggerRule(
    NAME,
    _clause,
    cause="the customer's sentiment fell",
    parameters=(BY,),
    required=frozenset({"by"}),
    carries_text=True,
    reads=frozenset({SIGNALS, READING}),
    rides_on="customer.message",
    react=_react,
)
