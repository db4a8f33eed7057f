"""`level.timeout`: a case stayed at its level for `after`."""

from __future__ import annotations

from escalon.core.rules.timed import timed_trigger

RULE = timed_trigger(
    "level.timeout",
    untimed="a case stays at its level too long",
    timed="a case has stayed at its level for {}",
    cause="the case stayed too long at its level",
    headline="too long at its level",
)
