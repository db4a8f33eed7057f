"""`level.timeout`: a case stayed at its level for `after`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule
from escalon.core.rules.parameters import AFTER
from escalon.core.rules.words import span_of


def _clause(parameters: Mapping[str, Any]) -> str:
    after = parameters.get("after")
    if after is None:
        return "a case stays at its level too long"
    return f"a case has stayed at its level for {span_of(after)}"


RULE = TriggerRule(
    "level.timeout",
    _clause,
    cause="the case stayed too long at its level",
    parameters=(AFTER,),
    required=frozenset({"after"}),
    timed=True,
    urgent=True,
)
