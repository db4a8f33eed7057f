"""Which stored articles answer a case: the index over the articles in use, kept while they are
unchanged, and what it says of cases (suggestions, the acknowledgement's article, KB gaps)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case, Message
from escalon.knowledge.articles import Article
from escalon.knowledge.models import KnowledgeArticle
from escalon.knowledge.schemas import ArticleMatch

if TYPE_CHECKING:
    # ranking brings numpy, scipy and scikit-learn (pandas with it): seconds of every API
    # process's start. Cases import this module to send articles with replies; the index is
    # only built when a text is matched, so ranking is imported then (in `_build`).
    from escalon.knowledge.ranking import ArticleIndex

# Customers' latest messages teach the index how they put things (see `ranking`); enough to
# learn phrasing while an index builds in about a second.
LOG_MESSAGES = 2_000
# An index is rebuilt when the articles change, and at least this often for a fresher log.
LOG_REFRESH_SECONDS = 24 * 3600
# A case's text for matching: its subject and its customer's first and latest messages.
CASE_MESSAGES = 3


@dataclass(frozen=True, slots=True)
class _Built:
    signature: tuple[Any, ...]
    at: float
    index: ArticleIndex
    articles: dict[str, KnowledgeArticle]


class ArticleIndexes:
    """The index of one database's articles, rebuilt only when they change. The composition
    root puts one in the database's `Session.info`; a session without one builds every time."""

    KEY = "escalon.article_indexes"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: _Built | None = None

    def install(self, info: dict[str, Any]) -> None:
        """Keep the index for the sessions `info` is copied into."""
        info[self.KEY] = self

    def current(self, session: Session) -> _Built | None:
        """The index over the articles in use now (None when there are none)."""
        signature = _signature(session)
        with self._lock:
            built = self._built
            fresh = built is not None and time.monotonic() - built.at < LOG_REFRESH_SECONDS
            if built is None or built.signature != signature or not fresh:
                built = _build(session, signature)
                self._built = built
            return built


def _signature(session: Session) -> tuple[Any, ...]:
    """What changes whenever an article is added, changed or archived."""
    found = session.execute(
        select(
            func.count(KnowledgeArticle.id),
            func.max(KnowledgeArticle.id),
            func.max(KnowledgeArticle.updated_at),
        ).where(KnowledgeArticle.archived.is_(False))
    ).one()
    return tuple(found)


def _build(session: Session, signature: tuple[Any, ...]) -> _Built | None:
    rows = list(
        session.scalars(
            select(KnowledgeArticle)
            .where(KnowledgeArticle.archived.is_(False))
            .order_by(KnowledgeArticle.id)
        )
    )
    if not rows:
        return None
    from escalon.knowledge.ranking import ArticleIndex  # see the import above

    for row in rows:
        session.expunge(row)  # kept past this session: read-only copies
    log = session.scalars(
        select(Message.body)
        .where(Message.author_kind == "customer")
        .order_by(Message.id.desc())
        .limit(LOG_MESSAGES)
    ).all()
    articles = [
        Article(row.slug, row.title, row.body, row.category, tuple(row.tags or ())) for row in rows
    ]
    index = ArticleIndex(articles, list(log))
    return _Built(signature, time.monotonic(), index, {row.slug: row for row in rows})


def _indexes(session: Session) -> ArticleIndexes:
    found = session.info.get(ArticleIndexes.KEY)
    return found if isinstance(found, ArticleIndexes) else ArticleIndexes()


def suggest(
    session: Session, texts: Sequence[str], *, top: int = 3, public_only: bool = False
) -> list[list[ArticleMatch]]:
    """The articles that best answer each text, best first (those that answer it at all)."""
    built = _indexes(session).current(session)
    if built is None or not texts:
        return [[] for _ in texts]
    answers: list[list[ArticleMatch]] = []
    wanted = len(built.articles) if public_only else top
    for found in built.index.suggest(list(texts), wanted):
        matches = []
        for slug, score in found:
            row = built.articles[slug]
            if score < built.index.answers or (public_only and row.audience != "public"):
                continue
            matches.append(
                ArticleMatch(
                    slug=slug,
                    title=row.title,
                    category=row.category,
                    audience="internal" if row.audience == "internal" else "public",
                    score=round(score, 3),
                )
            )
        answers.append(matches[:top])
    return answers


def answered(session: Session, texts: Sequence[str]) -> list[bool]:
    """Whether some article in use answers each text."""
    built = _indexes(session).current(session)
    if built is None or not texts:
        return [False for _ in texts]
    floor = built.index.answers
    return [float(row.max()) >= floor for row in built.index.scores(list(texts))]


def case_texts(session: Session, case_ids: Sequence[int]) -> dict[int, str]:
    """Each case's text for matching: its subject and its customer's first and latest words."""
    if not case_ids:
        return {}
    subjects = dict(
        session.execute(select(Case.id, Case.subject).where(Case.id.in_(case_ids))).all()
    )
    said: dict[int, list[str]] = {case_id: [] for case_id in subjects}
    rows = session.execute(
        select(Message.case_id, Message.body)
        .where(Message.case_id.in_(case_ids), Message.author_kind == "customer")
        .order_by(Message.case_id, Message.id)
    )
    for case_id, body in rows:
        said[case_id].append(body)
    texts = {}
    for case_id, subject in subjects.items():
        messages = said[case_id]
        chosen = messages[:1] + messages[1:][-(CASE_MESSAGES - 1) :]
        texts[case_id] = "\n".join([subject or "", *chosen]).strip()
    return texts


def for_case(session: Session, case_id: int, *, top: int = 3) -> list[ArticleMatch]:
    """The articles that best answer a case."""
    text = case_texts(session, [case_id]).get(case_id, "")
    return suggest(session, [text], top=top)[0] if text else []
