"""The classifier of model format 2: stacked n-grams, default detector, two combiners averaged."""

from __future__ import annotations

import numpy as np
import pytest

from escalon.triage.ensemble import BOOSTING_MIN_LABEL, EnsembleTextClassifier


def corpus(per_label: int) -> tuple[list[str], list[str]]:
    broken = [f"order {i} arrived broken, I want a refund" for i in range(per_label)]
    happy = [f"order {i} arrived early, thank you" for i in range(per_label)]
    return broken + happy, ["broken"] * per_label + ["happy"] * per_label


@pytest.mark.parametrize(
    ("per_label", "boosted"), [(BOOSTING_MIN_LABEL - 1, False), (BOOSTING_MIN_LABEL, True)]
)
def test_trees_join_level_two_only_with_enough_examples_of_each_label(
    per_label: int, boosted: bool
) -> None:
    texts, labels = corpus(per_label)
    classifier = EnsembleTextClassifier(seed=1).fit(texts, labels)
    assert (classifier.boosted is not None) is boosted
    rows = classifier.predict_proba(["order 7 arrived broken", "arrived early, thank you"])
    assert rows.shape == (2, 2)
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert list(classifier.classes_) == ["broken", "happy"]
    assert rows[0, 0] > 0.5 > rows[1, 0]


def test_training_is_deterministic_for_a_seed() -> None:
    texts, labels = corpus(BOOSTING_MIN_LABEL)
    probe = ["my order arrived broken", "thanks, it came early"]
    first = EnsembleTextClassifier(seed=3).fit(texts, labels).predict_proba(probe)
    second = EnsembleTextClassifier(seed=3).fit(texts, labels).predict_proba(probe)
    assert np.array_equal(first, second)


def test_the_handle_a_message_is_addressed_to_is_learnt() -> None:
    # The same words sent to a help desk and to a friend: only the handle tells them apart,
    # and the default detector's normalisation removes handles.
    texts = [f"@AcmeHelp my phone {i} is here" for i in range(30)]
    texts += [f"@jo_smith my phone {i} is here" for i in range(30)]
    labels = ["support"] * 30 + ["chat"] * 30
    classifier = EnsembleTextClassifier().fit(texts, labels)
    rows = classifier.predict_proba(["@AcmeHelp my phone is here", "@jo_smith my phone is here"])
    support = list(classifier.classes_).index("support")
    assert rows[0, support] > 0.5 > rows[1, support]


def test_an_unfitted_classifier_refuses_to_predict() -> None:
    with pytest.raises(ValueError, match="not fitted"):
        EnsembleTextClassifier().predict_proba(["hello"])
