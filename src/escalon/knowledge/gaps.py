"""Knowledge gaps: categories and recurring topics whose escalated cases the knowledge base
seldom answers, so the team knows which articles to write first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.models import Case, Escalation
from escalon.knowledge import matching
from escalon.learning import topic_runs
from escalon.learning.models import TopicCase

DAY_US = 86_400_000_000
# The newest escalated cases of the window that are read: a bound on a page's work.
MAX_CASES = 5_000
# A category is a gap once it has this many escalated cases and no article answers at least
# `GAP_SHARE` of them; fewer cases say too little to act on.
MIN_ESCALATED = 3
GAP_SHARE = 0.5
SAMPLES = 5
UNCATEGORISED = "(no category)"
Group = TypeVar("Group", str, int)  # a category, or a topic's id


class Gap(BaseModel):
    """A category's (or a recurring topic's) escalated cases against the articles that answer
    them."""

    kind: Literal["category", "topic"] = "category"
    category: str  # the category, or the topic's distinctive words
    topic_id: int | None = None  # the topic, for the case list's `topic` filter
    escalated: int
    unanswered: int
    share: float  # unanswered / escalated
    gap: bool  # enough cases, and most of them unanswered
    samples: list[int]  # unanswered cases to read first (newest first)


def gaps(
    session: Session,
    *,
    since: int,
    until: int | None = None,
    scope: visibility.Scope = visibility.EVERYTHING,
) -> list[Gap]:
    """Each category with escalated cases in the window, gaps first, then by unanswered cases."""
    query = (
        select(Case.id, Case.category)
        .where(Case.id.in_(_escalated(since, until)))
        .order_by(Case.id.desc())
        .limit(MAX_CASES)
    )
    condition = scope.where()
    if condition is not None:
        query = query.where(condition)
    found = [(case_id, category or UNCATEGORISED) for case_id, category in session.execute(query)]
    return _gaps_first(
        _gap(missed, count, category=name) for name, (count, missed) in _counted(session, found)
    )


def topic_gaps(session: Session, *, scope: visibility.Scope = visibility.EVERYTHING) -> list[Gap]:
    """Each topic of the latest topic run (escalated cases, `escalon.learning.topic_runs`)
    against the articles that answer its cases, gaps first."""
    run = topic_runs.latest(session, scope=scope)
    if run is None:
        return []
    query = (
        select(TopicCase.case_id, TopicCase.topic_id)
        .join(Case, Case.id == TopicCase.case_id)
        .where(TopicCase.run_id == run.id)
        .order_by(TopicCase.case_id.desc())
        .limit(MAX_CASES)
    )
    condition = scope.where()
    if condition is not None:
        query = query.where(condition)
    names = {topic.id: topic.name for topic in run.topics}
    found = [(case_id, topic_id) for case_id, topic_id in session.execute(query)]
    return _gaps_first(
        _gap(missed, count, kind="topic", category=names.get(topic, str(topic)), topic_id=topic)
        for topic, (count, missed) in _counted(session, found)
    )


def _counted(
    session: Session, found: Sequence[tuple[int, Group]]
) -> list[tuple[Group, tuple[int, list[int]]]]:
    """Each group's escalated cases (of `found`: case, group) and those no article answers."""
    if not found:
        return []
    texts = matching.case_texts(session, [case_id for case_id, _ in found])
    answers = matching.answered(session, [texts.get(case_id, "") for case_id, _ in found])
    escalated: dict[Group, int] = defaultdict(int)
    unanswered: dict[Group, list[int]] = defaultdict(list)
    for (case_id, group), answer in zip(found, answers, strict=True):
        escalated[group] += 1
        if not answer:
            unanswered[group].append(case_id)
    return [(group, (count, unanswered[group])) for group, count in escalated.items()]


def _gap(missed: list[int], count: int, **names: Any) -> Gap:
    share = len(missed) / count
    return Gap(
        **names,
        escalated=count,
        unanswered=len(missed),
        share=round(share, 3),
        gap=count >= MIN_ESCALATED and share >= GAP_SHARE,
        samples=missed[:SAMPLES],
    )


def _gaps_first(rows: Iterable[Gap]) -> list[Gap]:
    return sorted(
        rows, key=lambda row: (not row.gap, -row.unanswered, -row.escalated, row.category)
    )


def _escalated(since: int, until: int | None) -> Select[int]:
    """The ids of the cases escalated in the window (a subquery)."""
    query = select(Escalation.case_id).where(
        Escalation.action == "escalate", Escalation.at >= since
    )
    if until is not None:
        query = query.where(Escalation.at < until)
    return query.distinct()
