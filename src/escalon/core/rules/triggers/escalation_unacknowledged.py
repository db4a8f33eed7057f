"""`escalation.unacknowledged`: nobody acknowledged the latest escalation within `after`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule
from escalon.core.rules.parameters import AFTER
from escalon.core.rules.words import span_of


def _clause(parameters: Mapping[str, Any]) -> str:
    after = parameters.get("after")
    if after is None:
        return "an escalation is not acknowledged"
    return f"an escalation is still not acknowledged after {span_of(after)}"


RULE = TriggerRule(
    "escalation.unacknowledged",
    _clause,
    cause="nobody acknowledged the escalation in time",
    parameters=(AFTER,),
    required=frozenset({"after"}),
    timed=True,
    urgent=True,
)
