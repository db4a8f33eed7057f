"""`survey.answered`: the customer answered the satisfaction survey."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "the customer answers the satisfaction survey"


RULE = TriggerRule(
    "survey.answered", _clause, cause="the customer answered the satisfaction survey"
)
