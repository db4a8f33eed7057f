"""`ola.warning`: the team holding a case used up its OLA's warning share (see `core.ola`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "the team holding a case is close to missing its internal target (OLA)"


RULE = TriggerRule(
    "ola.warning",
    _clause,
    cause="the team's internal target (OLA) is close",
    headline="OLA at risk",
    timed=True,
    urgent=False,
)
