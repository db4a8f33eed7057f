"""Triggers timed by a required `after` (the engine computes when they fire), each made from the
few words that tell it apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule
from escalon.core.rules.parameters import AFTER
from escalon.core.rules.words import span_of


def timed_trigger(name: str, *, untimed: str, timed: str, cause: str, headline: str) -> TriggerRule:
    """A trigger with a required `after`: `timed` is its clause with `{}` where the span goes,
    `untimed` the clause without one."""

    def clause(parameters: Mapping[str, Any]) -> str:
        after = parameters.get("after")
        return untimed if after is None else timed.format(span_of(after))

    return TriggerRule(
        name,
        clause,
        cause=cause,
        headline=headline,
        parameters=(AFTER,),
        required=frozenset({"after"}),
        timed=True,
        urgent=True,
    )
