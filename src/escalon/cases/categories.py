"""A case's category at intake (keywords of the policy, else the team's classifier) and the
cases a person categorised, which a classifier learns from."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case, Message
from escalon.core.policy import Policy
from escalon.core.signals import CategoryReader

log = logging.getLogger(__name__)

# Where a category came from: given with the opening request (an API client, a form, an import),
# a keyword of the policy, the classifier, or a person who changed it afterwards.
SOURCES = ("request", "keyword", "classifier", "person")
# Categories people chose; NULL is a case from before sources were recorded, which came with one.
HUMAN_SOURCES = ("request", "person")
MAX_CATEGORY_CHARS = 100  # the case's category column


class Categorized(NamedTuple):
    """A new case's category, where it came from, and the classifier's confidence."""

    category: str | None
    source: str | None = None
    confidence: float | None = None
    keyword: str | None = None

    def entry_data(self) -> dict[str, Any]:
        """What the case's opening entry on the timeline says of it."""
        if self.source is None:
            return {}
        data: dict[str, Any] = {"category_source": self.source}
        if self.confidence is not None:
            data["category_confidence"] = self.confidence
        if self.keyword is not None:
            data["category_keyword"] = self.keyword
        return data


def at_intake(
    policy: Policy, *, given: str | None, subject: str, body: str, reader: object
) -> Categorized:
    """The category a new case gets: as given, else a policy keyword's, else the classifier's."""
    if given is not None:
        return Categorized(given, "request")
    text = f"{subject}\n{body}" if subject else body
    if not text.strip():
        return Categorized(None)
    found = policy.category_from_text(text)
    if found is not None and len(found[0]) <= MAX_CATEGORY_CHARS:
        return Categorized(found[0], "keyword", keyword=found[1][:200])
    if isinstance(reader, CategoryReader):
        try:
            guess = reader.categorize(text)
        except (OSError, ValueError) as error:
            # A broken model file must not stop intake: the case opens without a category.
            log.error("category classifier failed, the case gets no category: %s", error)
            return Categorized(None)
        if guess is not None and len(guess.category) <= MAX_CATEGORY_CHARS:
            return Categorized(guess.category, "classifier", round(guess.confidence, 4))
    return Categorized(None)


def labelled_cases(session: Session, *, limit: int = 200_000) -> tuple[list[str], list[str]]:
    """Texts (subject and opening message) and categories of the latest cases people categorised."""
    return labelled_openings(
        session,
        Case.category,
        [or_(Case.category_source.in_(HUMAN_SOURCES), Case.category_source.is_(None))],
        limit=limit,
    )


def labelled_openings(
    session: Session, label: Any, where: list[Any], *, limit: int
) -> tuple[list[str], list[str]]:
    """Texts (subject and the customer's first message) and `label` of the latest cases that
    have one and meet `where`: what a team's classifiers learn from."""
    opening = (
        select(Message.case_id, func.min(Message.id).label("message_id"))
        .where(Message.author_kind == "customer")
        .group_by(Message.case_id)
        .subquery()
    )
    query = (
        select(Case.subject, Message.body, label)
        .join(opening, opening.c.case_id == Case.id, isouter=True)
        .join(Message, Message.id == opening.c.message_id, isouter=True)
        .where(label.is_not(None), *where)
        .order_by(Case.id.desc())
        .limit(limit)
    )
    texts: list[str] = []
    labels: list[str] = []
    for subject, body, value in session.execute(query):
        text = "\n".join(part for part in (subject, body) if part)
        if text.strip():
            texts.append(text)
            labels.append(str(value))
    return texts, labels
