"""`ola.breach`: the team holding a case did not act within its OLA (see `core.ola`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "the team holding a case misses its internal target (OLA)"


RULE = TriggerRule(
    "ola.breach",
    _clause,
    cause="the team did not act within its internal target (OLA)",
    headline="OLA missed",
    timed=True,
    urgent=True,
)
