"""Recurring issues: customers' messages grouped into topics, each named by its own words.

A message is represented twice, and the two halves are joined before k-means groups them:
- latent semantic analysis of its words (TF-IDF of words and word pairs, reduced by a truncated
  SVD), which finds messages that share words;
- the IDF-weighted mean of word vectors learnt from the messages themselves (positive pointwise
  mutual information of words used in one message, reduced by SVD), which also finds messages
  that say the same thing in different words ("delayed" and "late"), where plain TF-IDF and
  k-means see nothing in common.
Measured against people's labels in `bench/topics.py`; why this method in docs/learning.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.linalg import svds
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

DEFAULT_TOPICS = 10
_DIMENSIONS = 100  # of each half of a message's vector
_NAME_WORDS = 5
_SAMPLES = 3

_LINK = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d+);")
# Redactions such as "XXXX" or "{$120.00}" say nothing about the topic but repeat everywhere.
_MASK = re.compile(r"\bX{2,}\b|\{\$[\d.,]+\}|\bxx/xx/\S+", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d+(?:[:.,]\d+)*\b")
_STRETCHED = re.compile(r"(\w)\1{2,}")  # "sooooo" -> "soo"
# "don't" would leave "don" as a word; "do not" is two stop words. "it's" and "we'll" likewise.
_NEGATION = re.compile(r"n['’]t\b")
_CLITIC = re.compile(r"['’](?:s|re|ve|ll|m|d)\b")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case without links, handles, redactions or numbers, stretched letters squashed."""
    text = _ENTITY.sub(" ", text)
    text = _LINK.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _MASK.sub(" ", text)
    text = _NUMBER.sub(" 0 ", text)
    text = _STRETCHED.sub(r"\1\1", text.lower()).replace("#", " ")
    text = _CLITIC.sub("", _NEGATION.sub(" not", text))
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Topic:
    """One group of messages: its number, its distinctive words, its size and typical messages."""

    number: int
    words: tuple[str, ...]
    size: int
    samples: tuple[int, ...]  # positions of the most typical messages in the input

    @property
    def name(self) -> str:
        """The topic as a person reads it: its distinctive words."""
        return ", ".join(self.words) if self.words else "(no distinctive words)"


@dataclass(frozen=True)
class Topics:
    """Each message's topic (its number, from 1; 0 for a message without words) and the topics,
    largest first."""

    assigned: list[int]
    topics: list[Topic]


def find_topics(texts: Sequence[str], count: int = DEFAULT_TOPICS, seed: int = 0) -> Topics:
    """Group `texts` into at most `count` topics (the same texts and seed give the same topics)."""
    if count < 1:
        raise ValueError("the number of topics must be at least 1")
    cleaned = [normalise(text) for text in texts]
    words = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), min_df=_min_df(len(texts), 2), sublinear_tf=True
    )
    try:
        weights = words.fit_transform(cleaned).tocsr()
    except ValueError:  # no message has a word that is not a stop word
        return Topics([0] * len(texts), [])
    weights.sort_indices()
    rows = np.flatnonzero(weights.getnnz(axis=1) > 0)
    count = min(count, _distinct(weights, rows))
    assigned = [0] * len(texts)
    if count == 0:
        return Topics(assigned, [])
    with np.errstate(invalid="ignore", divide="ignore"):  # SVD of a tiny input divides 0 by 0
        vectors = _vectors(weights[rows], [cleaned[row] for row in rows], seed)
    if count == 1:
        groups = np.zeros(len(rows), dtype=np.int64)
    else:
        # Ten starts find a better grouping than one; on a large input each start costs seconds.
        starts = 10 if len(rows) <= 20_000 else 4
        groups = KMeans(count, n_init=starts, random_state=seed).fit_predict(vectors)
    return _named(groups, rows, weights, vectors, words, assigned)


def baseline_topics(texts: Sequence[str], count: int, seed: int = 0) -> list[int]:
    """The plain method `find_topics` is measured against: TF-IDF and k-means, as they come."""
    weights = TfidfVectorizer().fit_transform(texts)
    return [int(group) for group in KMeans(count, random_state=seed).fit_predict(weights)]


def _distinct(weights: sparse.csr_matrix, rows: NDArray[np.int64]) -> int:
    """How many of the messages differ in their words (k-means cannot split identical ones)."""
    return len(
        {
            (weights.indices[start:end].tobytes(), weights.data[start:end].round(9).tobytes())
            for start, end in zip(weights.indptr[rows], weights.indptr[rows + 1], strict=True)
        }
    )


def _min_df(messages: int, usual: int) -> int:
    """A word counts when in `usual` messages, or in one when there are only a few messages."""
    return usual if messages >= 20 * usual else 1


def _vectors(weights: sparse.csr_matrix, cleaned: list[str], seed: int) -> NDArray[np.float64]:
    """Each message's two halves side by side, each of unit length, then the whole."""
    halves = [_latent(weights, seed)]
    learnt = _word_vector_mean(cleaned, seed)
    if learnt is not None:
        halves.append(learnt)
    return normalize(np.hstack(halves))  # type: ignore[no-any-return]


def _latent(weights: sparse.csr_matrix, seed: int) -> NDArray[np.float64]:
    """Latent semantic analysis: TF-IDF reduced to at most 100 dimensions."""
    dimensions = min(_DIMENSIONS, weights.shape[1] - 1, weights.shape[0] - 1)
    if dimensions < 1:
        return normalize(weights.toarray())  # type: ignore[no-any-return]
    reduced = TruncatedSVD(dimensions, random_state=seed).fit_transform(weights)
    return normalize(reduced)  # type: ignore[no-any-return]


def _word_vector_mean(cleaned: list[str], seed: int) -> NDArray[np.float64] | None:
    """The IDF-weighted mean of the message's word vectors (None when too few words for it)."""
    counter = CountVectorizer(stop_words="english", min_df=_min_df(len(cleaned), 3), binary=True)
    try:
        present = counter.fit_transform(cleaned).tocsr().astype(np.float64)
    except ValueError:
        return None
    together = (present.T @ present).tocsr()
    together.setdiag(0)
    together.eliminate_zeros()
    total = together.sum()
    dimensions = min(_DIMENSIONS, together.shape[0] - 2)
    if total == 0 or dimensions < 1:
        return None
    # Positive PMI, with context counts smoothed (raised to 0.75) so rare words do not dominate.
    word_counts = np.asarray(together.sum(axis=1)).ravel()
    context = word_counts**0.75
    context /= context.sum()
    pairs = together.tocoo()
    pmi = np.log((pairs.data / total) / ((word_counts[pairs.row] / total) * context[pairs.col]))
    keep = pmi > 0
    if not keep.any():
        return None
    positive = sparse.csr_matrix(
        (pmi[keep], (pairs.row[keep], pairs.col[keep])), shape=together.shape
    )
    start = np.random.default_rng(seed).uniform(-1, 1, positive.shape[0])
    left, strengths, _ = svds(positive, k=dimensions, v0=start)
    word_vectors = normalize(left * np.sqrt(strengths))
    messages_with = np.asarray(present.sum(axis=0)).ravel()
    idf = np.log(present.shape[0] / messages_with) + 1
    return normalize(present.multiply(idf).tocsr() @ word_vectors)  # type: ignore[no-any-return]


def _named(
    groups: NDArray[np.int64],
    rows: NDArray[np.int64],
    weights: sparse.csr_matrix,
    vectors: NDArray[np.float64],
    words: TfidfVectorizer,
    assigned: list[int],
) -> Topics:
    """Number the groups by size (1 the largest); name each by the words it uses more than the
    rest; pick the messages closest to its centre as samples."""
    vocabulary = words.get_feature_names_out()
    weights = weights[rows]
    sizes = np.bincount(groups)
    order = sorted(range(len(sizes)), key=lambda group: (-sizes[group], group))
    overall = np.asarray(weights.sum(axis=0)).ravel()
    topics = []
    for number, group in enumerate(order, start=1):
        members = np.flatnonzero(groups == group)
        if not len(members):
            continue
        inside = np.asarray(weights[members].sum(axis=0)).ravel()
        rest = len(rows) - len(members)
        outside = (overall - inside) / rest if rest else np.zeros_like(inside)
        lead = inside / len(members) - outside
        best = _distinctive(vocabulary, lead)
        centre = vectors[members].mean(axis=0)
        closest = members[np.argsort(-(vectors[members] @ centre), kind="stable")[:_SAMPLES]]
        for member in members:
            assigned[int(rows[member])] = number
        topics.append(
            Topic(
                number=number,
                words=best,
                size=len(members),
                samples=tuple(int(rows[i]) for i in closest),
            )
        )
    return Topics(assigned, topics)


def _distinctive(vocabulary: NDArray[np.str_], lead: NDArray[np.float64]) -> tuple[str, ...]:
    """The terms a topic uses most beyond the rest, skipping a term whose words are all named
    already ("late flight" after "late" and "flight")."""
    chosen: list[str] = []
    covered: set[str] = set()
    for index in np.argsort(-lead, kind="stable")[: _NAME_WORDS * 4]:
        if lead[index] <= 0 or len(chosen) == _NAME_WORDS:
            break
        term = str(vocabulary[index])
        parts = term.split()
        if all(part in covered for part in parts):
            continue
        chosen.append(term)
        covered.update(parts)
    return tuple(chosen)
