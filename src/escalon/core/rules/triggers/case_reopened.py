"""`case.reopened`: a resolved case became open again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalon.core.rules.base import TriggerRule


def _clause(parameters: Mapping[str, Any]) -> str:
    return "a resolved case is reopened"


RULE = TriggerRule("case.reopened", _clause, cause="the case was reopened")
