"""`sla.breach`: a clock passed its target (optionally one metric)."""

from __future__ import annotations

from escalon.core.rules.timed import clock_trigger

RULE = clock_trigger(
    "sla.breach",
    state="target is breached",
    cause="the {metric} target was missed",
    headline="{metric} breached",
    urgent=True,
)
