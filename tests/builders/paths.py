"""Files the tests read, found from the repository's root whatever folder a test lives in."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = REPO / "examples" / "policy.yaml"
# Labelled customer messages the triage tests train and score on.
TRIAGE_MESSAGES = REPO / "tests" / "triage" / "fixtures" / "messages.csv"
