"""`clock.suspicious`: a clock was stopped without serving the customer (see `core.integrity`):
set to wait on them while they wait on us, paused just before a breach, paused again and
again, or resolved and reopened by the customer within a day."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "a clock is stopped suspiciously"


RULE = TriggerRule(
    "clock.suspicious",
    _clause,
    cause="the {metric} clock was stopped suspiciously",
    headline="suspicious {metric} clock",
)
