"""A detector loaded on first use: the service only pays for it when a policy reads text."""

from __future__ import annotations

import threading

from escalon.core.signals import TextAnalyzer, TextSignals


class LazyAnalyzer:
    """Loads the default detector (or a trained model) the first time a text is analysed."""

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path
        self._loaded: TextAnalyzer | None = None
        self._lock = threading.Lock()

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
