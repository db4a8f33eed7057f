"""A detector loaded on first use: the service only pays for it when a policy reads text."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from escalon.core.signals import CategoryGuess, TextAnalyzer, TextSignals

if TYPE_CHECKING:
    from escalon.config import Settings
    from escalon.triage.category import CategoryClassifier


class LazyAnalyzer:
    """Loads the default detector (or a trained model) the first time a text is analysed."""

    def __init__(
        self,
        model_path: str | None = None,
        categories: CategoryClassifier | None = None,
        root_causes: CategoryClassifier | None = None,
    ) -> None:
        self.model_path = model_path
        self.categories = categories  # the team's category classifier, if it trained one
        self.root_causes = root_causes  # likewise for root causes
        self._loaded: TextAnalyzer | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LazyAnalyzer:
        """The detector and category classifier an operator configured."""
        categories = _classifier(settings.category_model, settings.category_min_confidence)
        root_causes = _classifier(settings.root_cause_model, settings.root_cause_min_confidence)
        return cls(settings.triage_model, categories, root_causes)

    def analyze(self, text: str) -> TextSignals:
        """Read one text."""
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    from escalon.triage import load_analyzer

                    self._loaded = load_analyzer(self.model_path)
                loaded = self._loaded
        return loaded.analyze(text)

    def categorize(self, text: str) -> CategoryGuess | None:
        """The category classifier's guess, when there is one and it is sure enough."""
        return None if self.categories is None else self.categories.categorize(text)

    def suggest_cause(self, text: str) -> CategoryGuess | None:
        """The root-cause classifier's guess (a policy code), when there is one and it is sure
        enough."""
        return None if self.root_causes is None else self.root_causes.categorize(text)


def _classifier(path: str | None, min_confidence: float) -> CategoryClassifier | None:
    """A classifier of the model file, when one is configured (its module loads only then)."""
    if path is None:
        return None
    from escalon.triage.category import CategoryClassifier

    return CategoryClassifier(path, min_confidence)
