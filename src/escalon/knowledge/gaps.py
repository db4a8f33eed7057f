"""Knowledge gaps: categories whose escalated cases the knowledge base seldom answers, so the
team knows which articles to write first."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.models import Case, Escalation
from escalon.knowledge import matching

DAY_US = 86_400_000_000
# The newest escalated cases of the window that are read: a bound on a page's work.
MAX_CASES = 5_000
# A category is a gap once it has this many escalated cases and no article answers at least
# `GAP_SHARE` of them; fewer cases say too little to act on.
MIN_ESCALATED = 3
GAP_SHARE = 0.5
SAMPLES = 5
UNCATEGORISED = "(no category)"


class Gap(BaseModel):
    """A category's escalated cases against the articles that answer them."""

    category: str
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
    found = session.execute(query).all()
    if not found:
        return []
    texts = matching.case_texts(session, [case_id for case_id, _ in found])
    answers = matching.answered(session, [texts.get(case_id, "") for case_id, _ in found])
    escalated: dict[str, int] = defaultdict(int)
    unanswered: dict[str, list[int]] = defaultdict(list)
    for (case_id, category), answer in zip(found, answers, strict=True):
        name = category or UNCATEGORISED
        escalated[name] += 1
        if not answer:
            unanswered[name].append(case_id)
    rows = []
    for name, count in escalated.items():
        missed = unanswered[name]
        share = len(missed) / count
        rows.append(
            Gap(
                category=name,
                escalated=count,
                unanswered=len(missed),
                share=round(share, 3),
                gap=count >= MIN_ESCALATED and share >= GAP_SHARE,
                samples=missed[:SAMPLES],
            )
        )
    rows.sort(key=lambda row: (not row.gap, -row.unanswered, -row.escalated, row.category))
    return rows


def _escalated(since: int, until: int | None) -> Select[int]:
    """The ids of the cases escalated in the window (a subquery)."""
    query = select(Escalation.case_id).where(
        Escalation.action == "escalate", Escalation.at >= since
    )
    if until is not None:
        query = query.where(Escalation.at < until)
    return query.distinct()
