"""Trigger detection in customer messages: manager requests, complaints and sentiment.

`DefaultDetector` needs no training data; `escalon triage train` fits a model on a team's own
labelled messages, and `load_analyzer` gives whichever of the two the replay or the service uses.
"""

from __future__ import annotations

from escalon.core.signals import TextAnalyzer
from escalon.triage.default import DefaultDetector
from escalon.triage.trained import LabelMapping, ModelDetector, ModelError, load_model

__all__ = [
    "DefaultDetector",
    "LabelMapping",
    "ModelDetector",
    "ModelError",
    "load_analyzer",
    "load_model",
]


def load_analyzer(model_path: str | None) -> TextAnalyzer:
    """The default detector, or the model at `model_path` read with it (raises `ModelError`)."""
    if model_path is None:
        return DefaultDetector()
    return ModelDetector(load_model(model_path))
