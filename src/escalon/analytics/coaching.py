"""Coaching, not blame: what each person and team escalates, against their peers.

A person's cases are those that were in their hands and either escalated from them (they held
the case when it moved up: `Escalation.holder`) or stayed with them without escalating (they
hold it now, and it never escalated). Their escalation rate is the share that escalated, with a
95 % interval; it is called apart from their team's only when the interval excludes the rate of
the rest of their team(s) (`escalon.core.statistics.clearly_apart`) and both sides have at least
`APART_MINIMUM` cases, so a few cases never flag anyone. Training gaps are the categories where
a person's (or a team's) escalations cluster: their rate in the category clearly above their
peers' in it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from escalon.analytics.causes import CAUSE_KEY
from escalon.cases.models import Case, Escalation
from escalon.core.statistics import Interval, clearly_apart, rate_interval
from escalon.people.models import Agent

# A category needs this many of a person's cases before it can be a training gap.
GAP_MINIMUM = 3
# Someone needs this many cases (and so do their peers) before a rate is called apart: two of
# two is a wide interval, yet still two cases.
APART_MINIMUM = 5
NO_CATEGORY = "(no category)"


@dataclass(slots=True)
class Tally:
    """Cases in someone's hands, and which of them escalated from them, by category."""

    handled: set[int] = field(default_factory=set)
    escalated: set[int] = field(default_factory=set)
    handled_in: Counter[str] = field(default_factory=Counter)
    escalated_in: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        """Count another's cases in too."""
        self.handled |= other.handled
        self.escalated |= other.escalated
        self.handled_in.update(other.handled_in)
        self.escalated_in.update(other.escalated_in)

    def rate(self) -> float | None:
        return len(self.escalated) / len(self.handled) if self.handled else None

    def rate_in(self, category: str) -> float | None:
        whole = self.handled_in[category]
        return self.escalated_in[category] / whole if whole else None


@dataclass(frozen=True, slots=True)
class Gap:
    """A category where someone escalates clearly more than their peers."""

    category: str
    escalated: int
    handled: int
    rate: float
    peers: float


@dataclass(frozen=True, slots=True)
class Figures:
    """One person's (or team's) coaching figures."""

    name: str
    label: str
    teams: tuple[str, ...]
    handled: int
    escalated: int
    rate: Interval | None
    peers: float | None  # the rest of their team(s); for a team, the other teams
    apart: str | None  # "above" or "below" the peers, when clearly so
    by_category: tuple[tuple[str, int], ...]
    by_rule: tuple[tuple[str, int], ...]
    by_cause: tuple[tuple[str, int], ...]
    resolved_escalated: int  # escalated cases they resolved
    resolve_hours: float | None  # their median business hours to resolve those
    csat: float | None
    csat_answers: int
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class Coaching:
    """Everyone's figures over cases opened in a window."""

    people: tuple[Figures, ...]
    teams: tuple[Figures, ...]


@dataclass(slots=True)
class _Counts:
    """Everyone's tallies, and the rules and causes of the escalations they let go."""

    tallies: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    rules: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    causes: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _counts(session: Session, window: ColumnElement[bool]) -> _Counts:
    """Who held which case when it escalated, and who kept which without escalating."""
    found = _Counts()
    categories: dict[int, str] = {}
    moved = session.execute(
        select(Escalation.holder, Case.id, Case.category, Escalation.rule, CAUSE_KEY)
        .join(Case, Case.id == Escalation.case_id)
        .where(window, Escalation.action == "escalate", Escalation.holder.is_not(None))
    )
    for holder, case_id, category, rule, cause in moved:
        holder = str(holder)
        tally = found.tallies[holder]
        categories[case_id] = category or NO_CATEGORY
        if case_id not in tally.escalated:
            tally.escalated.add(case_id)
            tally.handled.add(case_id)
            if cause is not None:
                found.causes[holder][str(cause)] += 1
        found.rules[holder][rule] += 1
    kept = session.execute(
        select(Case.assignee, Case.id, Case.category).where(
            window, Case.escalations == 0, Case.assignee.is_not(None)
        )
    )
    for assignee, case_id, category in kept:
        found.tallies[str(assignee)].handled.add(case_id)
        categories[case_id] = category or NO_CATEGORY
    for tally in found.tallies.values():
        tally.handled_in.update(categories[case_id] for case_id in tally.handled)
        tally.escalated_in.update(categories[case_id] for case_id in tally.escalated)
    return found


def coaching(session: Session, *, since: int, until: int) -> Coaching:
    """The coaching figures of every active agent and team for cases opened in [since, until)."""
    window = and_(Case.opened_at >= since, Case.opened_at < until)
    counted = _counts(session, window)
    tallies, rules, causes = counted.tallies, counted.rules, counted.causes
    outcomes = _outcomes(session, window)
    agents = session.scalars(select(Agent).where(Agent.active).order_by(Agent.handle)).all()
    members: defaultdict[str, set[str]] = defaultdict(set)
    for agent in agents:
        for team in agent.teams:
            members[team.name].add(agent.handle)
    team_tallies = {
        name: _sum(tallies.get(handle) for handle in handles) for name, handles in members.items()
    }
    people = []
    for agent in agents:
        own = tallies.get(agent.handle, Tally())
        teams = tuple(team.name for team in agent.teams)
        peers = _sum(
            tallies.get(handle)
            for handle in set().union(*(members[name] for name in teams))
            if handle != agent.handle
        )
        people.append(
            _figures(
                agent.handle,
                f"{agent.name} ({agent.handle})",
                teams,
                own,
                peers,
                rules[agent.handle],
                causes[agent.handle],
                outcomes.get(agent.handle),
            )
        )
    team_figures = []
    for name in sorted(members):
        others = _sum(tally for other, tally in team_tallies.items() if other != name)
        team_rules: Counter[str] = Counter()
        team_causes: Counter[str] = Counter()
        for handle in members[name]:
            team_rules.update(rules[handle])
            team_causes.update(causes[handle])
        team_figures.append(
            _figures(
                name,
                name,
                (name,),
                team_tallies[name],
                others,
                team_rules,
                team_causes,
                _merged(outcomes.get(handle) for handle in members[name]),
            )
        )
    return Coaching(tuple(people), tuple(team_figures))


@dataclass(slots=True)
class _Outcome:
    """How the cases someone resolved went: business hours of escalated ones, survey scores."""

    hours: list[float] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)


def _outcomes(session: Session, window: ColumnElement[bool]) -> dict[str, _Outcome]:
    found: defaultdict[str, _Outcome] = defaultdict(_Outcome)
    rows = session.execute(
        select(
            Case.assignee, Case.escalations, Case.resolution_business_seconds, Case.survey_score
        ).where(window, Case.assignee.is_not(None), Case.resolved_at.is_not(None))
    )
    for assignee, escalations, seconds, score in rows:
        outcome = found[str(assignee)]
        if escalations and seconds is not None:
            outcome.hours.append(seconds / 3600)
        if score is not None:
            outcome.scores.append(score)
    return found


def _merged(outcomes: Iterable[_Outcome | None]) -> _Outcome:
    merged = _Outcome()
    for outcome in outcomes:
        if outcome is not None:
            merged.hours.extend(outcome.hours)
            merged.scores.extend(outcome.scores)
    return merged


def _sum(tallies: Iterable[Tally | None]) -> Tally:
    total = Tally()
    for tally in tallies:
        if tally is not None:
            total.add(tally)
    return total


def _figures(
    name: str,
    label: str,
    teams: tuple[str, ...],
    own: Tally,
    peers: Tally,
    rules: Counter[str],
    causes: Counter[str],
    outcome: _Outcome | None,
) -> Figures:
    interval = rate_interval(len(own.escalated), len(own.handled))
    peer_rate = peers.rate()
    apart = None
    enough = len(own.handled) >= APART_MINIMUM and len(peers.handled) >= APART_MINIMUM
    if (
        enough
        and interval is not None
        and peer_rate is not None
        and clearly_apart(len(own.escalated), len(own.handled), peer_rate)
    ):
        apart = "above" if interval.share > peer_rate else "below"
    outcome = outcome or _Outcome()
    return Figures(
        name=name,
        label=label,
        teams=teams,
        handled=len(own.handled),
        escalated=len(own.escalated),
        rate=interval,
        peers=peer_rate,
        apart=apart,
        by_category=tuple(own.escalated_in.most_common()),
        by_rule=tuple(rules.most_common()),
        by_cause=tuple(causes.most_common()),
        resolved_escalated=len(outcome.hours),
        resolve_hours=statistics.median(outcome.hours) if outcome.hours else None,
        csat=statistics.fmean(outcome.scores) if outcome.scores else None,
        csat_answers=len(outcome.scores),
        gaps=_gaps(own, peers),
    )


def _gaps(own: Tally, peers: Tally) -> tuple[Gap, ...]:
    """Categories where `own` escalates clearly more than `peers` do in the same category."""
    found = []
    for category, handled in own.handled_in.items():
        escalated = own.escalated_in[category]
        reference = peers.rate_in(category)
        if handled < GAP_MINIMUM or escalated == 0 or reference is None:
            continue
        if escalated / handled > reference and clearly_apart(escalated, handled, reference):
            found.append(Gap(category, escalated, handled, escalated / handled, reference))
    return tuple(sorted(found, key=lambda gap: (-gap.rate, gap.category)))
