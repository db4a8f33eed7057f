"""Which articles answer a message: character n-grams, taught by what customers write.

Messages and articles seldom share their exact words ("cant log in" against "Sign-in problems"),
so both are compared as character 3-5-grams within words (TF-IDF, cosine), which also forgives
typos and inflections. A log of customers' messages (no labels: just what they wrote) teaches
the index two things:
- which n-grams say nothing (everybody writes "I need help with"): each n-gram is weighted by
  its IDF among the logged messages, so the words that tell requests apart count;
- how customers put each article's subject: each logged message is added to the article it
  matches best, and the matching is done again (twice), so an article also matches the
  phrasings its readers use (pseudo-relevance feedback on the documents).
Why this method, and what it scored against plain TF-IDF: docs/learning.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from escalon.knowledge.articles import Article

EXPANSION_ROUNDS = 2
# A logged message joins the article it matches best only when it matches it at least this well
# (on the Bitext utterances: first three 0.964 with it, 0.956 without; docs/learning.md).
EXPANSION_FLOOR = 0.1
# Below this many logged messages per article, the log is too small to teach anything: a
# message would weigh in the very article it is then matched against. The articles alone then.
MIN_LOG_PER_ARTICLE = 20
# The similarity from which an article answers a text, for an index taught by a log and for the
# articles alone (on the Bitext utterances, 27 articles: 83 % of the texts above 0.2 get the right
# article, 89 % of them reach it; alone, 72 % above 0.16; the off-topic texts tried stay below).
ANSWERS_TAUGHT = 0.2
ANSWERS_ALONE = 0.16
MAX_LOG = 50_000  # logged messages read: enough to learn phrasing, bounded in time and memory
MAX_TEXT = 2_000  # of each message: the request is in its first lines


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
    )


class ArticleIndex:
    """Articles ready to be matched against messages."""

    def __init__(self, articles: Sequence[Article], log: Sequence[str] = ()) -> None:
        if not articles:
            raise ValueError("an index needs at least one article")
        self.ids = [article.id for article in articles]
        self._base = [article.text for article in articles]
        self._log = [text[:MAX_TEXT] for text in log[:MAX_LOG] if text.strip()]
        if len(self._log) < MIN_LOG_PER_ARTICLE * len(articles):
            self._log = []
        # Whether the log taught the index (see `answers`).
        self.taught = bool(self._log)
        documents = self._base
        self._fit(documents)
        for _ in range(EXPANSION_ROUNDS if self._log else 0):
            documents = self._expanded()
            self._fit(documents)

    def _fit(self, documents: list[str]) -> None:
        vectorizer = _vectorizer().fit(documents)
        weights = np.ones(len(vectorizer.vocabulary_), dtype=np.float32)
        if self._log:
            logged = _vectorizer().fit(self._log)
            # An n-gram no logged message uses is as telling as the rarest one.
            rarest = float(logged.idf_.max())
            for gram, column in vectorizer.vocabulary_.items():
                found = logged.vocabulary_.get(gram)
                weights[column] = rarest if found is None else logged.idf_[found]
        self._vectorizer = vectorizer
        self._weights = sparse.diags(weights)
        self._articles = normalize(vectorizer.transform(documents) @ self._weights).T.tocsr()

    def _expanded(self) -> list[str]:
        """Each article's text with the logged messages that match it best appended (those that
        match no article at all teach none: with one article, they would all join it)."""
        scores = self.scores(self._log)
        best, top = scores.argmax(axis=1), scores.max(axis=1)
        joined: list[list[str]] = [[text] for text in self._base]
        for message, article, score in zip(self._log, best, top, strict=True):
            if score >= EXPANSION_FLOOR:
                joined[int(article)].append(message)
        return [" ".join(parts) for parts in joined]

    @property
    def answers(self) -> float:
        """The similarity from which an article is taken to answer a text."""
        return ANSWERS_TAUGHT if self.taught else ANSWERS_ALONE

    def scores(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Cosine similarity of each text (rows) to each article (columns)."""
        cut = [text[:MAX_TEXT] for text in texts]
        queries = normalize(self._vectorizer.transform(cut) @ self._weights)
        return np.asarray((queries @ self._articles).toarray(), dtype=np.float32)

    def suggest(self, texts: Sequence[str], top: int = 3) -> list[list[tuple[str, float]]]:
        """The `top` best articles for each text, best first, with their similarity (articles
        that share nothing with the text are left out)."""
        found = []
        for row in self.scores(texts):
            order = np.argsort(-row, kind="stable")[:top]
            found.append([(self.ids[i], float(row[i])) for i in order if row[i] > 0])
        return found
