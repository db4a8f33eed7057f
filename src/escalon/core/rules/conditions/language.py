"""`language`: the detector tells the customer's text is in one of the languages (ISO 639-1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalon.core.rules.base import SIGNALS, TEXT, ConditionRule
from escalon.core.rules.fields import Languages
from escalon.core.rules.words import either, names, quoted

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}


def _holds(run: Run, value: tuple[str, ...], firing: Firing) -> bool:
    if firing.text is None:
        return False
    return run.signals(firing).language in value


def _phrase(value: object) -> str:
    return "the customer writes in " + either(
        LANGUAGE_NAMES.get(str(code), quoted(str(code))) for code in names(value)
    )


# Added to the format later: left out of the fingerprint while unset.
RULE = ConditionRule(
    "language",
    Languages,
    _holds,
    _phrase,
    reads=frozenset({TEXT, SIGNALS}),
    cost=2,
    fingerprinted_unset=False,
)
