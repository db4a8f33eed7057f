"""`sla.at_risk`: the forecast says a running clock will probably breach (optionally one metric).

The engine looks at the forecast (`core.forecast.breach`) at the start of each cycle and at each
tenth of its target; a rule reacts at the first look where the breach probability is above its
`breach_probability_above` (0.5 without one), once per rule and clock cycle. Without a forecast
(no history yet, or a caller that has none) nothing is known and the rule does not fire.
"""

from __future__ import annotations

from escalon.core.rules.timed import clock_trigger

RULE = clock_trigger(
    "sla.at_risk",
    state="target is forecast to be missed",
    cause="the {metric} target is forecast to be missed",
    headline="{metric} forecast to breach",
    urgent=False,
)
