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
    ]
    alone = ArticleIndex(ARTICLES).scores(asked)[0]
    taught = ArticleIndex(ARTICLES, log).scores(asked)[0]
    assert taught.argmax() == 1
    assert taught[1] > alone[1]


def test_nothing_in_common_suggests_nothing_and_no_article_is_an_error() -> None:
    assert ArticleIndex(ARTICLES).suggest(["zzz"]) == [[]]
    with pytest.raises(ValueError, match="at least one article"):
        ArticleIndex([])
