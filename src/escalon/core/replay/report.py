"""The replay's report: its figures, counted as cases finish and decisions are taken."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from escalon.core import ola as ola_clock
from escalon.core.engine import Action
from escalon.core.integrity import REASONS
from escalon.core.policy.compiled import Policy
from escalon.core.sla import has_breached
from escalon.core.state import CLOCK_METRICS, STOPPED_STATUSES, CaseState

US_PER_HOUR = 3_600_000_000


@dataclass(slots=True)
class _MetricTally:
    tracked: int = 0
    met: int = 0
    breached: int = 0


@dataclass(slots=True)
class ReportBuilder:
    """Accumulates the report's figures as cases finish and decisions are taken."""

    events: int = 0
    skipped: int = 0
    cases: int = 0
    escalated_cases: int = 0
    escalations_by_rule: Counter[str] = field(default_factory=Counter)
    escalations_by_level: Counter[str] = field(default_factory=Counter)
    routes_by_rule: Counter[str] = field(default_factory=Counter)
    de_escalations: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    sla: dict[str, _MetricTally] = field(
        default_factory=lambda: {metric: _MetricTally() for metric in CLOCK_METRICS}
    )
    resolution_hours: dict[str, list[float]] = field(
        default_factory=lambda: {"escalated": [], "other": []}
    )
    scores: dict[str, list[int]] = field(default_factory=lambda: {"escalated": [], "other": []})
    clock_flags: Counter[str] = field(default_factory=Counter)
    # Per team with an OLA (`core.ola`): its cycles met and breached.
    ola: dict[str, _MetricTally] = field(default_factory=dict)

    def count_action(self, action: Action) -> None:
        """Count one decision."""
        self.actions[action.action] += 1
        if action.action == "escalate":
            self.escalations_by_rule[action.rule] += 1
            self.escalations_by_level[str(action.details["to_level"])] += 1
        elif action.action == "route":
            self.routes_by_rule[action.rule] += 1
        elif action.action == "de-escalate":
            self.de_escalations += 1

    def add_case(self, policy: Policy, state: CaseState, end: int) -> None:
        """Count a case whose story is over (or the replay is, at `end`)."""
        group = "escalated" if state.escalated else "other"
        if state.flags:
            self.clock_flags.update(state.flags)
        if state.escalated:
            self.escalated_cases += 1
        if state.status in STOPPED_STATUSES and state.resolution_business_us is not None:
            self.resolution_hours[group].append(state.resolution_business_us / US_PER_HOUR)
        if state.survey_score is not None:
            self.scores[group].append(state.survey_score)
        if state.ola is not None:
            self._add_ola(policy, state, end)
        sla = policy.slas[state.sla] if state.sla is not None else None
        for metric in CLOCK_METRICS:
            tally = self.sla[metric]
            counts = state.tallies.get(metric)
            cycle = state.clocks.get(metric)
            has_target = sla is not None and sla.targets.get(metric) is not None
            if metric == "resolution":
                if cycle is None:
                    continue
                if has_breached(policy, state, cycle, end):
                    tally.breached += 1
                    tally.tracked += 1
                elif has_target:
                    tally.tracked += 1
                    if state.status in STOPPED_STATUSES:
                        tally.met += 1
                continue
            if counts is not None:
                tally.met += counts.met
                tally.breached += counts.breached
                tally.tracked += counts.met + counts.breached + counts.ended
            if cycle is not None and cycle.ended_at is None and cycle.breached_at is None:
                if has_breached(policy, state, cycle, end):
                    # A breach no rule waited for: found now rather than when it happened.
                    tally.breached += 1
                    tally.tracked += 1
                elif has_target:
                    tally.tracked += 1

    def _add_ola(self, policy: Policy, state: CaseState, end: int) -> None:
        """Count a case's OLA cycles: those over, and a running one as it stands at `end`."""
        for team, counts in state.ola_tallies.items():
            tally = self.ola.setdefault(team, _MetricTally())
            tally.met += counts.met
            tally.breached += counts.breached
            tally.tracked += counts.met + counts.breached
        cycle = state.ola
        terms = None if cycle is None else policy.ola.get(cycle.metric)
        if cycle is None or cycle.ended_at is not None or terms is None:
            return
        tally = self.ola.setdefault(cycle.metric, _MetricTally())
        tally.tracked += 1
        if cycle.breached_at is not None or ola_clock.settled_breach(terms, state, cycle, end + 1):
            tally.breached += 1

    def merge(self, other: ReportBuilder) -> None:
        """Add the figures of another builder (a shard of the same replay)."""
        self.events += other.events
        self.skipped += other.skipped
        self.cases += other.cases
        self.escalated_cases += other.escalated_cases
        self.escalations_by_rule.update(other.escalations_by_rule)
        self.escalations_by_level.update(other.escalations_by_level)
        self.routes_by_rule.update(other.routes_by_rule)
        self.de_escalations += other.de_escalations
        self.actions.update(other.actions)
        self.clock_flags.update(other.clock_flags)
        for metric, tally in other.sla.items():
            mine = self.sla[metric]
            mine.tracked += tally.tracked
            mine.met += tally.met
            mine.breached += tally.breached
        for team, tally in other.ola.items():
            mine = self.ola.setdefault(team, _MetricTally())
            mine.tracked += tally.tracked
            mine.met += tally.met
            mine.breached += tally.breached
        for group, hours in other.resolution_hours.items():
            self.resolution_hours[group].extend(hours)
        for group, scores in other.scores.items():
            self.scores[group].extend(scores)

    def report(self, policy: Policy) -> dict[str, Any]:
        """The report as JSON-ready data (see docs/replay-format.md; `ola` in docs/replay.md)."""
        found = {
            "policy": {"name": policy.name, "version": policy.version},
            "cases": self.cases,
            "events": self.events,
            "skipped_events": self.skipped,
            "escalated_cases": self.escalated_cases,
            "escalation_rate": _ratio(self.escalated_cases, self.cases),
            "escalations_by_rule": dict(sorted(self.escalations_by_rule.items())),
            "escalations_by_level": {
                level.name: self.escalations_by_level[level.name]
                for level in policy.levels
                if self.escalations_by_level[level.name]
            },
            "functional_escalations_by_rule": dict(sorted(self.routes_by_rule.items())),
            "de_escalations": self.de_escalations,
            "actions": dict(sorted(self.actions.items())),
            "sla": {
                metric: {
                    "tracked": tally.tracked,
                    "met": tally.met,
                    "breached": tally.breached,
                    "compliance": _ratio(tally.met, tally.met + tally.breached),
                }
                for metric, tally in self.sla.items()
            },
            "resolution_time": {
                group: _quantiles(hours) for group, hours in self.resolution_hours.items()
            },
            "csat": {
                group: {
                    "responses": len(scores),
                    "mean": round(sum(scores) / len(scores), 3) if scores else None,
                }
                for group, scores in self.scores.items()
            },
            # Clocks stopped suspiciously (`core.integrity`), by reason.
            "clock_flags": {reason: self.clock_flags[reason] for reason in REASONS},
        }
        if policy.ola:
            # Only for a policy with OLAs: the report of any other stays as it was.
            found["ola"] = {
                team: {
                    "tracked": tally.tracked,
                    "met": tally.met,
                    "breached": tally.breached,
                    "compliance": _ratio(tally.met, tally.met + tally.breached),
                }
                for team, tally in sorted(self.ola.items())
            }
        return found


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def nearest_rank(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _quantiles(hours: list[float]) -> dict[str, Any]:
    if not hours:
        return {"cases": 0, "median_hours": None, "p90_hours": None}
    ordered = sorted(hours)
    return {
        "cases": len(ordered),
        "median_hours": round(nearest_rank(ordered, 0.5), 3),
        "p90_hours": round(nearest_rank(ordered, 0.9), 3),
    }
