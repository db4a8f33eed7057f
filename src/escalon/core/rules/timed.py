"""Timed triggers (the engine computes when they fire), each made from the few words that tell
it apart: those with a required `after`, and the SLA clocks' with an optional `metric`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule
from escalon.core.rules.parameters import AFTER, METRIC
from escalon.core.rules.words import metric_name, span_of


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


def clock_trigger(name: str, *, state: str, cause: str, headline: str, urgent: bool) -> TriggerRule:
    """A trigger on an SLA clock, of one `metric` or any: `state` ends its clause (`target is
    breached`)."""

    def clause(parameters: Mapping[str, Any]) -> str:
        metric = parameters.get("metric")
        subject = "any SLA" if metric is None else f"the {metric_name(metric)}"
        return f"{subject} {state}"

    return TriggerRule(
        name,
        clause,
        cause=cause,
        headline=headline,
        parameters=(METRIC,),
        timed=True,
        urgent=urgent,
    )
