"""`sla.warning`: a clock reached its SLA's warning share of the target (optionally one metric)."""

from __future__ import annotations

from escalon.core.rules.timed import clock_trigger

RULE = clock_trigger(
    "sla.warning",
    state="target is about to be breached",
    cause="the {metric} target is close",
    headline="{metric} at risk",
    urgent=False,
)
