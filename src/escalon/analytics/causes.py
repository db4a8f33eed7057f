"""Root causes counted: a Pareto of the causes named, and the causes clearly on the rise.

A cause is its policy code, or the words of a cause named without one (a policy without codes,
or a resolution before the policy listed them); `other` gathers the causes people named in
their own words. Its label is what the active policy calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case
from escalon.core.rules.fields import OTHER_CAUSE
from escalon.core.statistics import Rise, rising
from escalon.policies import service as policies

WEEK_US = 7 * 86_400_000_000
# Rising: the last week against this many weeks before it.
WEEKS_BEFORE = 4

# What a cause is counted by: its code, or its words when it has none (as `kpis` counts).
CAUSE_KEY = func.coalesce(Case.root_cause_code, Case.root_cause)


@dataclass(frozen=True, slots=True)
class CauseCount:
    """One cause in a Pareto: how many cases named it, and the running share up to it."""

    key: str
    label: str
    cases: int
    escalated: int
    share: float
    cumulative: float


@dataclass(frozen=True, slots=True)
class RisingCause:
    """A cause named clearly more often in the last week than in the weeks before."""

    key: str
    label: str
    now: int
    now_total: int
    before: int
    before_total: int
    rise: Rise


def labels(session: Session) -> dict[str, str]:
    """What people read for each code of the active policy (and for `other`)."""
    policy = policies.active(session)
    named = dict(policy.root_causes) if policy is not None else {}
    named[OTHER_CAUSE] = "Other (in people's own words)"
    return named


def pareto(
    session: Session,
    *,
    names: dict[str, str],
    opened_since: int | None = None,
    opened_until: int | None = None,
    resolved_since: int | None = None,
    resolved_until: int | None = None,
) -> list[CauseCount]:
    """Causes named for the cases opened (or resolved) in the window, most first, with running
    shares."""
    window: list[ColumnElement[bool]] = [CAUSE_KEY.isnot(None)]
    for column, since, until in (
        (Case.opened_at, opened_since, opened_until),
        (Case.resolved_at, resolved_since, resolved_until),
    ):
        if since is not None:
            window.append(column >= since)
        if until is not None:
            window.append(column < until)
    rows = session.execute(
        select(
            CAUSE_KEY,
            func.count(),
            func.coalesce(func.sum(case((Case.escalations > 0, 1), else_=0)), 0),
        )
        .where(*window)
        .group_by(CAUSE_KEY)
    ).all()
    ordered = sorted(rows, key=lambda row: (-row[1], str(row[0])))
    total = sum(row[1] for row in ordered)
    found, running = [], 0
    for key, count, escalated in ordered:
        running += count
        found.append(
            CauseCount(
                str(key),
                names.get(str(key), str(key)),
                int(count),
                int(escalated),
                count / total,
                running / total,
            )
        )
    return found


def rising_causes(
    session: Session, *, until: int, names: dict[str, str], weeks_before: int = WEEKS_BEFORE
) -> list[RisingCause]:
    """Causes named in resolutions of the week before `until` clearly more often than in the
    `weeks_before` weeks before that (`escalon.core.statistics.rising`), steepest first."""
    cut = until - WEEK_US
    start = cut - weeks_before * WEEK_US
    recent = Case.resolved_at >= cut
    rows = session.execute(
        select(
            CAUSE_KEY,
            func.coalesce(func.sum(case((recent, 1), else_=0)), 0),
            func.count(),
        )
        .where(
            and_(Case.resolved_at >= start, Case.resolved_at < until),
            CAUSE_KEY.isnot(None),
        )
        .group_by(CAUSE_KEY)
    ).all()
    now_total = sum(int(now) for _, now, _ in rows)
    before_total = sum(int(every) - int(now) for _, now, every in rows)
    found = []
    for key, now, every in rows:
        before = int(every) - int(now)
        rise = rising(int(now), now_total, before, before_total)
        if rise is not None:
            label = names.get(str(key), str(key))
            found.append(
                RisingCause(str(key), label, int(now), now_total, before, before_total, rise)
            )
    return sorted(found, key=lambda cause: (cause.rise.p_value, cause.key))
