"""Clocks stopped suspiciously (`escalon.core.integrity`), counted per person and per team."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases.models import AuditEntry, ClockEvent
from escalon.core.integrity import REASONS

FLAG_KINDS = tuple(f"flag.{reason}" for reason in REASONS)


@dataclass(frozen=True, slots=True)
class FlagCount:
    """One person's or team's flags in a window, by reason, with the cases behind them."""

    name: str
    by_reason: dict[str, int]
    cases: tuple[int, ...]

    @property
    def total(self) -> int:
        """Every flag of theirs."""
        return sum(self.by_reason.values())


@dataclass(frozen=True, slots=True)
class ClockFlags:
    """The window's flags, by the person whose case it was and by team, most first."""

    people: tuple[FlagCount, ...]
    teams: tuple[FlagCount, ...]


def clock_flags(session: Session, *, since: int, until: int) -> ClockFlags:
    """Who held the cases whose clocks were stopped suspiciously between since and until."""
    # The clock events have an index on (kind, at); the audit trail one on the case.
    flagged = (
        select(ClockEvent.case_id)
        .where(ClockEvent.kind.in_(FLAG_KINDS), ClockEvent.at >= since, ClockEvent.at < until)
        .distinct()
        .scalar_subquery()
    )
    rows = session.execute(
        select(AuditEntry.case_id, AuditEntry.data).where(
            AuditEntry.case_id.in_(flagged),
            AuditEntry.kind == "clock.suspicious",
            AuditEntry.at >= since,
            AuditEntry.at < until,
        )
    ).all()
    people: dict[str, Counter[str]] = defaultdict(Counter)
    teams: dict[str, Counter[str]] = defaultdict(Counter)
    cases: dict[tuple[str, str], set[int]] = defaultdict(set)
    for case_id, data in rows:
        reason = str((data or {}).get("reason"))
        for kind, who, tally in (
            ("person", (data or {}).get("holder"), people),
            ("team", (data or {}).get("team"), teams),
        ):
            if who:
                tally[str(who)][reason] += 1
                cases[kind, str(who)].add(case_id)
    return ClockFlags(_ranked(people, cases, "person"), _ranked(teams, cases, "team"))


def _ranked(
    tallies: dict[str, Counter[str]], cases: dict[tuple[str, str], set[int]], kind: str
) -> tuple[FlagCount, ...]:
    found = [
        FlagCount(name, {r: tally[r] for r in REASONS}, tuple(sorted(cases[kind, name])))
        for name, tally in tallies.items()
    ]
    return tuple(sorted(found, key=lambda count: (-count.total, count.name)))
