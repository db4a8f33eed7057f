"""What a detector reads in a customer's text: intents and a sentiment score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

MANAGER_REQUEST = "manager_request"
COMPLAINT = "complaint"
KNOWN_INTENTS = frozenset({MANAGER_REQUEST, COMPLAINT})
# Languages (ISO 639-1) whose manager requests, complaints and sentiment the default detector
# reads, and those it recognises without reading them (so a rule can tell them apart).
READ_LANGUAGES = ("en", "de", "fr", "es")
DETECTED_LANGUAGES = (*READ_LANGUAGES, "it", "pt", "nl")


@dataclass(frozen=True, slots=True)
class TextSignals:
    """Intents found in a text, its sentiment in [-1, 1], its language and a model's label."""

    intents: frozenset[str] = frozenset()
    sentiment: float = 0.0
    label: str | None = None
    score: float | None = None
    # ISO 639-1 code of the text's language; None when it could not be told.
    language: str | None = None


class TextAnalyzer(Protocol):
    """Anything that turns a customer's text into signals; must be deterministic."""

    def analyze(self, text: str) -> TextSignals:
        """Read one text."""
        ...


NO_SIGNALS = TextSignals()


class CategoryGuess(NamedTuple):
    """The likeliest category of a text and the classifier's probability for it."""

    category: str
    confidence: float


@runtime_checkable
class CategoryReader(Protocol):
    """Anything that may guess a text's category (None: no guess sure enough)."""

    def categorize(self, text: str) -> CategoryGuess | None:
        """The category of `text` when the guess is sure enough."""
        ...
