"""`case.opened`: a new case; its opening text is the customer's first message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "a case is opened"


RULE = TriggerRule("case.opened", _clause, cause="the case was opened", carries_text=True)
