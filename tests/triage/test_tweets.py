"""What a trained model reads: the tweet-aware normalisation and the surface measures."""

from __future__ import annotations

import pytest

from escalon.triage.text import clean, fold
from escalon.triage.tweets import SURFACE_COUNT, model_text, surface_vector


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@AskSupport my order", "xatasksupport my order"),
        ("see https://t.co/abc now", "see xurl now"),
        ("#NeverAgain", "never again xtagneveragain"),
        ("I can't log in :(", "i can not log in xfrown"),
        ("love it :-) <3", "love it xsmile xheart"),
        ("so late \U0001f621", "so late xemo1f621"),
        ("Fish &amp; chips", "fish chips"),
    ],
)
def test_model_text_keeps_handles_links_tags_and_faces_as_tokens(text: str, expected: str) -> None:
    assert model_text(text) == expected


def test_model_text_marks_shouting_stretching_and_repeated_marks() -> None:
    assert model_text("WHY is it sooooo slow?!") == "why is it soo slow ?! xelong xcaps xquest"
    assert model_text("Great!! Thanks") == "great !! thanks xexcl"


def test_model_text_leaves_the_default_detectors_normalisation_alone() -> None:
    text = "@united #LostBag can't find it :("
    assert fold(clean(text)) == "lost bag can not find it :"
    assert model_text(text) == "xatunited lost bag xtaglostbag can not find it xfrown"


def test_surface_vector_measures_address_links_marks_and_persons() -> None:
    vector = surface_vector("@AcmeHelp WHERE is my parcel?? you said Monday https://t.co/x")
    assert len(vector) == SURFACE_COUNT
    addressed, mentions, link, picture, _, questions, exclamations, caps, mine, yours = vector
    assert (addressed, link, picture) == (1.0, 1.0, 1.0)
    assert mentions == pytest.approx(1 / 3)
    assert questions == pytest.approx(2 / 3)
    assert exclamations == 0.0
    assert caps > 0
    assert mine > 0
    assert yours > 0
    assert surface_vector("")[0] == 0.0
