"""What a detector reads in a customer's text: intents and a sentiment score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MANAGER_REQUEST = "manager_request"
COMPLAINT = "complaint"
KNOWN_INTENTS = frozenset({MANAGER_REQUEST, COMPLAINT})


@dataclass(frozen=True, slots=True)
class TextSignals:
    """Intents found in a text, its sentiment in [-1, 1] and, from a trained model, its label."""

    intents: frozenset[str] = frozenset()
    sentiment: float = 0.0
    label: str | None = None
    score: float | None = None


class TextAnalyzer(Protocol):
    """Anything that turns a customer's text into signals; must be deterministic."""

    def analyze(self, text: str) -> TextSignals:
        """Read one text."""
        ...


NO_SIGNALS = TextSignals()
