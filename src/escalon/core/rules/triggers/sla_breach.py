"""`sla.breach`: a clock passed its target (optionally one metric)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule
from escalon.core.rules.parameters import METRIC
from escalon.core.rules.words import metric_name


def _clause(parameters: Mapping[str, Any]) -> str:
    metric = parameters.get("metric")
    subject = "any SLA" if metric is None else f"the {metric_name(metric)}"
    return f"{subject} target is breached"


RULE = TriggerRule(
    "sla.breach",
    _clause,
    cause="the {metric} target was missed",
    headline="{metric} breached",
    parameters=(METRIC,),
    timed=True,
    urgent=True,
)
