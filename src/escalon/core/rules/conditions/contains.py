"""`contains`: the customer's text contains one of the phrases (any case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalon.core.rules.base import TEXT, ConditionRule
from escalon.core.rules.fields import Names
from escalon.core.rules.words import either, names, quoted

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
    if firing.text is None:
        return False
    text = firing.text.casefold()
    return any(phrase.casefold() in text for phrase in value)


def _phrase(value: object) -> str:
    return f"the customer's text contains {either(quoted(phrase) for phrase in names(value))}"


RULE = ConditionRule("contains", Names, _holds, _phrase, reads=frozenset({TEXT}), cost=1)
