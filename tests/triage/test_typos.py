"""Hurried typing: misspelt request words are mended, real words are left alone, and run-together
hashtags and four-word cue phrases are read."""

from __future__ import annotations

import pytest

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST
from escalon.triage import DefaultDetector
from escalon.triage.grammar import CUES, complaint_cues
from escalon.triage.text import clean, fold
from escalon.triage.typos import mend

DETECTOR = DefaultDetector()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("huamn", "human"),
        ("pseak", "speak"),
        ("gaent", "agent"),
        ("cotnact", "contact"),
        ("sopmeone", "someone"),
        ("talkto", "talk to"),
        ("issomeone", "is someone"),
        ("icould", "i could"),
        ("toan", "to an"),
    ],
)
def test_misspelt_and_run_together_request_words_are_mended(typed: str, meant: str) -> None:
    assert mend(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        "manage",
        "taking",
        "walking",
        "employer",
        "somehow",
        "theme",
        "mean",
        "react",
        "each",
        "hello",
    ],
)
def test_real_words_near_request_words_stay_as_they_are(word: str) -> None:
    assert mend(word) == word


@pytest.mark.parametrize(
    "text",
    [
        "i want to pseak with a human gaent",
        "can you tell me if there issomeone available?",
        "I can't understand you, howdo I contact a person?",
    ],
)
def test_a_misspelt_request_for_a_person_is_still_a_request(text: str) -> None:
    assert MANAGER_REQUEST in DETECTOR.analyze(text).intents


def test_lower_case_hashtags_keep_their_words_of_blame() -> None:
    assert clean("flight 12 #worstairline #nothappy") == (
        "flight 12 worstairline worst nothappy not happy"
    )
    assert clean("#LoveThisPlace") == "Love This Place"


def test_cue_phrases_of_four_words_are_found() -> None:
    long = [
        (item.name, phrase)
        for item in CUES
        if item.pattern is not None
        for phrase in ("what is going on", "is this a joke", "get your act together")
        if item.pattern.search(phrase)
    ]
    assert {name for name, _ in long} >= {"why", "demand"}
    assert "why" in complaint_cues(fold(clean("@acme what's going on with my order"))).cues


def test_half_a_complaint_does_not_read_pleased_unless_warm() -> None:
    trouble = DETECTOR.analyze("I can't find the login page")
    assert COMPLAINT not in trouble.intents
    assert trouble.sentiment < 0
    assert DETECTOR.analyze("Thanks so much for the help, you are wonderful!").sentiment > 0.5
