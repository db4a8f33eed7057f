"""`approval.requested`: an agent asks for approval to grant an amount (a refund...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "an agent asks for approval to grant something (such as a refund)"


RULE = TriggerRule("approval.requested", _clause, cause="an approval was requested")
