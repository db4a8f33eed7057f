"""Topics: messages about one thing end up together, named by their words, the same each run."""

from __future__ import annotations

import random

import pytest

from escalon.learning.topics import baseline_topics, find_topics, normalise

THEMES = {
    "refund": [
        "I want a refund for the double charge on my card",
        "you charged my card twice, refund the second payment",
        "still waiting for the refund of my payment",
        "the refund for my cancelled order never reached my card",
    ],
    "login": [
        "I cannot log in, the password reset mail never arrives",
        "password reset link is broken and I cannot sign in",
        "locked out of my account after the password change",
        "login fails with wrong password although it is right",
    ],
    "delivery": [
        "my parcel has not been delivered, the tracking says lost",
        "the courier never delivered the parcel to my address",
        "tracking number shows the parcel stuck for a week",
        "delivery is late and the parcel tracking does not update",
    ],
}


def messages(per_theme: int, seed: int = 3) -> tuple[list[str], list[str]]:
    """Messages of the three themes, shuffled, each with some words of its own."""
    rng = random.Random(seed)
    fillers = ["please help", "thanks", "this is urgent", "hello", "any news", "again"]
    found = [
        (f"{rng.choice(lines)} {rng.choice(fillers)} #{number}", theme)
        for theme, lines in THEMES.items()
        for number in range(per_theme)
    ]
    rng.shuffle(found)
    return [text for text, _ in found], [theme for _, theme in found]


def test_messages_about_one_thing_share_a_topic_named_by_its_words() -> None:
    texts, themes = messages(40)
    found = find_topics(texts, 3)
    assert len(found.topics) == 3
    by_topic: dict[int, set[str]] = {}
    for number, theme in zip(found.assigned, themes, strict=True):
        by_topic.setdefault(number, set()).add(theme)
    assert all(len(group) == 1 for group in by_topic.values()), by_topic
    names = {found.topics[number - 1].name for number in by_topic}
    assert any("refund" in name for name in names)
    assert any("password" in name for name in names)
    assert any("parcel" in name for name in names)
    # Sizes, largest first, add up; the samples belong to their topic.
    assert [topic.size for topic in found.topics] == sorted(
        (topic.size for topic in found.topics), reverse=True
    )
    assert sum(topic.size for topic in found.topics) == len(texts)
    for described in found.topics:
        assert all(found.assigned[index] == described.number for index in described.samples)


def test_the_same_messages_and_seed_give_the_same_topics() -> None:
    texts, _ = messages(30)
    assert find_topics(texts, 4, seed=5) == find_topics(texts, 4, seed=5)


def test_message_without_words_gets_topic_zero_and_few_messages_few_topics() -> None:
    found = find_topics(["", "!!!", "refund my card please", "refund my card now"], 10)
    assert found.assigned[:2] == [0, 0]
    assert found.assigned[2] == found.assigned[3] == 1
    assert len(found.topics) == 1


def test_nothing_but_stop_words_is_no_topic_at_all() -> None:
    found = find_topics(["the and of", "it is"], 3)
    assert found.assigned == [0, 0]
    assert found.topics == []


def test_topics_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        find_topics(["a refund"], 0)


def test_normalise_drops_what_says_nothing_of_the_topic() -> None:
    text = "@united Soooo late!!! See https://t.co/x &amp; flight 1758, XXXX {$120.00} don't"
    assert normalise(text) == "soo late!!! see flight 0 , do not"


def test_the_baseline_groups_every_message() -> None:
    texts, _ = messages(10)
    assert sorted(set(baseline_topics(texts, 3))) == [0, 1, 2]
