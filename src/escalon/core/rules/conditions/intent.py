"""`intent`: the detector finds one of the intents in the customer's text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import READING, SIGNALS, TEXT, Checks, ConditionRule, Path
from escalon.core.rules.fields import Names
from escalon.core.rules.words import either, names, names_of, quoted
from escalon.core.signals import KNOWN_INTENTS

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

INTENT_WORDS = {"manager_request": "asks for a manager", "complaint": "is a complaint"}


def _holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
    if firing.text is None:
        return False
    return not run.signals(firing).intents.isdisjoint(value)


def _phrase(value: object) -> str:
    return "the customer's text " + either(
        INTENT_WORDS.get(intent, f"shows the intent {quoted(intent)}") for intent in names(value)
    )


def _check(checks: Checks, path: Path, value: Any) -> None:
    for index, intent in enumerate(value):
        if intent not in KNOWN_INTENTS:
            checks.warn(
                (*path, index),
                f"intent '{intent}' is not one the default detector finds "
                f"({names_of(sorted(KNOWN_INTENTS))}); only a trained model mapped to it can",
            )


RULE = ConditionRule(
    "intent",
    Names,
    _holds,
    _phrase,
    reads=frozenset({TEXT, SIGNALS, READING}),
    check=_check,
    cost=2,
)
