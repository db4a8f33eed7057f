"""`escalation.unacknowledged`: nobody acknowledged the latest escalation within `after`."""

from __future__ import annotations

from escalon.core.rules.timed import timed_trigger

RULE = timed_trigger(
    "escalation.unacknowledged",
    untimed="an escalation is not acknowledged",
    timed="an escalation is still not acknowledged after {}",
    cause="nobody acknowledged the escalation in time",
    headline="escalation not acknowledged",
)
