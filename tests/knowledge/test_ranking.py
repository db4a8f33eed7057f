"""Which articles answer a message: character n-grams, taught by a log of past messages."""

from __future__ import annotations

import pytest

from escalon.knowledge.articles import Article
from escalon.knowledge.ranking import ArticleIndex

ARTICLES = [
    Article("refunds", "Refunds", "We return your money to your card within five days."),
    Article("password", "Reset your password", "Open the sign-in page and choose reset."),
    Article("delivery", "Delivery times", "Parcels arrive within three working days."),
]


def test_a_message_finds_the_article_about_it_even_misspelt() -> None:
    index = ArticleIndex(ARTICLES)
    found = index.suggest(["I forgot my pasword, how do I reset it", "wheres my parcell"], top=2)
    assert found[0][0][0] == "password"
    assert found[1][0][0] == "delivery"
    assert len(found[0]) == 2
    assert found[0][0][1] > found[0][1][1]


def test_the_log_teaches_how_customers_put_it() -> None:
    # Customers say "locked out"; no article does. The log, without any label, pairs the
    # phrase with the article its messages already match.
    asked = ["locked out of my account"]
    log = [
        "locked out, I need to reset my password",
        "locked out again, password reset please",
        "forgot my password and I am locked out",
        "my parcel is late",
        "refund my card",
    ] * 12  # what customers keep writing: enough to teach three articles (20 each)
    alone = ArticleIndex(ARTICLES).scores(asked)[0]
    index = ArticleIndex(ARTICLES, log)
    taught = index.scores(asked)[0]
    assert index.taught
    assert taught.argmax() == 1
    assert taught[1] > alone[1]
    assert index.answers > ArticleIndex(ARTICLES).answers  # taught scores run higher


def test_a_log_too_small_to_teach_is_left_aside() -> None:
    # Five messages for three articles: each would weigh most in the article it is then
    # matched against, so the index keeps to the articles alone.
    log = ["locked out of my account", "my parcel is late", "refund my card", "hello", "thanks"]
    small = ArticleIndex(ARTICLES, log)
    assert not small.taught
    asked = ["locked out of my account"]
    assert small.scores(asked).tolist() == ArticleIndex(ARTICLES).scores(asked).tolist()


def test_nothing_in_common_suggests_nothing_and_no_article_is_an_error() -> None:
    assert ArticleIndex(ARTICLES).suggest(["zzz"]) == [[]]
    with pytest.raises(ValueError, match="at least one article"):
        ArticleIndex([])
