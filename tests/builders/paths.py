"""Files the tests read, found from the repository's root whatever folder a test lives in."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
EXAMPLE_POLICY = EXAMPLES / "policy.yaml"
EXAMPLE_ROSTER = EXAMPLES / "roster.yaml"
# The shared, read-only folder beside the project: public data sets and worked examples.
SHARED = REPO.parent / "shared"
# Labelled customer messages the triage tests train and score on.
TRIAGE_MESSAGES = REPO / "tests" / "triage" / "fixtures" / "messages.csv"
