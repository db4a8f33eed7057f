"""`customer.message`: the customer writes (at opening too, for rules that read the text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "the customer sends a message"


RULE = TriggerRule("customer.message", _clause, cause="the customer wrote", carries_text=True)
