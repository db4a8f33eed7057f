"""Two policies over the same history: what each would have done, and where they part.

Each policy's side (`Side`) replays the history and, besides its report, counts the time cases
spent at each level (until resolved or closed, or the end) and keeps, per case, enough of its
decisions to say whether the case's outcome differs from the other side's and at which decision
the two first part (`CaseOutcome`). The two sides are independent, so they can run in two
processes (`escalon.replay.compare`); `Comparison` runs both in one, reading each line once, for
a history read from standard input. `combine` puts two sides' results together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from escalon.core.engine import Action
from escalon.core.events import (
    CaseOpened,
    EscalationAcknowledged,
    Event,
    EventError,
    StatusChanged,
    parse_event_json,
)
from escalon.core.policy.compiled import Policy
from escalon.core.replay.loop import Replay
from escalon.core.roster.staff import StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.core.state import STOPPED_STATUSES, from_us, to_us

# Decisions kept per case and side to show where two sides part.
KEPT_DECISIONS = 30
HOUR_US = 3_600_000_000
_MOVES = frozenset({"escalate", "de-escalate"})


@dataclass(slots=True)
class _Track:
    """One case on one side: its level and since when, its time per level, its decisions."""

    level: str
    since: int | None  # None while resolved or closed: the level's clock is stopped
    at_level: Counter[str] = field(default_factory=Counter)
    escalations: int = 0
    highest: int = 0
    decisions: list[tuple[int, str, str]] = field(default_factory=list)
    count: int = 0


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """How a case ended on one side, and a digest and the first of its decisions."""

    outcome: str
    count: int
    decisions: tuple[tuple[int, str, str], ...]


@dataclass(frozen=True, slots=True)
class SideResult:
    """What one side of a comparison found: its report, each case's outcome, the history's
    resolutions and acknowledgements (for the warnings)."""

    report: dict[str, Any]
    cases: dict[str, CaseOutcome]
    resolutions: int
    acknowledgements: int


class Side:
    """One policy's replay and what the comparison counts of it."""

    def __init__(self, policy: Policy, **replay_options: Any) -> None:
        self.policy = policy
        self.rank = {level.name: index for index, level in enumerate(policy.levels)}
        self.cases: dict[str, _Track] = {}
        self.replay = Replay(policy, on_action=self.take, **replay_options)
        self.resolutions = 0
        self.acknowledgements = 0

    def feed(self, lines: Iterable[tuple[int, str | bytes]]) -> None:
        """Replay numbered lines on this side alone."""
        for number, event in _events(lines, self.replay.unreadable):
            if not self.feed_event(number, event):
                return

    def feed_event(self, number: int, event: Event) -> bool:
        """Apply one event; False once past `until`."""
        at = to_us(event.at)
        if isinstance(event, CaseOpened):
            known = self.replay.states.get(event.case)
            if known is None or known.is_final:  # otherwise the replay refuses it
                self.opened(event.case, at)
        if not self.replay.feed_event(number, event):
            return False
        if isinstance(event, StatusChanged):
            self.status(event.case, event.status, at)
            if event.status in STOPPED_STATUSES:
                self.resolutions += 1
        elif isinstance(event, EscalationAcknowledged):
            self.acknowledgements += 1
        return True

    def take(self, action: Action) -> None:
        track = self.cases.get(action.case)
        if track is None:
            return  # a case this side refused to open
        signature = (action.at, action.action, action.rule)
        track.count += 1
        if len(track.decisions) < KEPT_DECISIONS:
            track.decisions.append(signature)
        if action.action in _MOVES:
            target = str(action.details.get("to_level", track.level))
            self.stop(track, action.at)
            track.level = target
            if track.since is not None:  # a stopped case's level clock stays stopped
                track.since = action.at
            if action.action == "escalate":
                track.escalations += 1
                track.highest = max(track.highest, self.rank.get(target, 0))

    def stop(self, track: _Track, at: int) -> None:
        if track.since is not None:
            track.at_level[track.level] += max(0, at - track.since)

    def opened(self, case: str, at: int) -> None:
        self.cases[case] = _Track(self.policy.levels[0].name, at)

    def status(self, case: str, status: str, at: int) -> None:
        track = self.cases.get(case)
        if track is None:
            return
        if status in STOPPED_STATUSES:
            self.stop(track, at)
            track.since = None
        elif track.since is None:
            track.since = at

    def finish(self) -> SideResult:
        """The side's report (with hours at each level) and each case's outcome."""
        replay = self.replay
        end = replay.until if replay.until is not None else replay.last_at
        report = replay.finish()
        if end is not None:
            for track in self.cases.values():
                self.stop(track, end)
                track.since = None
        hours: Counter[str] = Counter()
        for track in self.cases.values():
            for level, us in track.at_level.items():
                hours[level] += us
        report["hours_at_level"] = {
            level.name: round(hours[level.name] / HOUR_US, 2) for level in self.policy.levels
        }
        cases = {
            case: CaseOutcome(_outcome(self.policy, track), track.count, tuple(track.decisions))
            for case, track in self.cases.items()
        }
        return SideResult(report, cases, self.resolutions, self.acknowledgements)


@dataclass(frozen=True, slots=True)
class Difference:
    """A case whose outcome differs between the two policies, and where their decisions part."""

    case: str
    outcome_a: str
    outcome_b: str
    first_a: str | None  # the first decision that differs, in words ("none": the side stops)
    first_b: str | None


class Comparison:
    """Replays one history under policies A and B in this process, reading each line once."""

    def __init__(
        self,
        a: Policy,
        b: Policy,
        *,
        analyzer: TextAnalyzer | None = None,
        until: int | None = None,
        roster_a: StaffRoster | None = None,
        roster_b: StaffRoster | None = None,
        on_skip: Any = None,
    ) -> None:
        self.sides = (
            Side(a, analyzer=analyzer, until=until, roster=roster_a, on_skip=on_skip),
            Side(b, analyzer=analyzer, until=until, roster=roster_b),
        )

    def feed(self, lines: Iterable[tuple[int, str | bytes]]) -> None:
        """Read numbered lines until they run out or one falls after `until`."""
        a, b = self.sides

        def unreadable(number: int, reason: str) -> None:
            a.replay.unreadable(number, reason)
            b.replay.unreadable(number, reason)

        for number, event in _events(lines, unreadable):
            if not (a.feed_event(number, event) and b.feed_event(number, event)):
                return

    def finish(self) -> dict[str, Any]:
        """Both reports, the cases whose outcome differs, and what the history lacks."""
        a, b = self.sides
        return combine(a.finish(), b.finish())


def _events(
    lines: Iterable[tuple[int, str | bytes]], unreadable: Callable[[int, str], None]
) -> Iterator[tuple[int, Event]]:
    """The events of numbered lines; a line that is none goes to `unreadable`."""
    for number, line in lines:
        if not line or line.isspace():
            continue
        try:
            yield number, parse_event_json(line)
        except EventError as error:
            unreadable(number, str(error))


def combine(a: SideResult, b: SideResult) -> dict[str, Any]:
    """Two sides' results as one comparison: both reports, the cases that end differently,
    and what a history without resolutions or acknowledgements does to the figures."""
    differences = _differences(a.cases, b.cases)
    return {
        "a": a.report,
        "b": b.report,
        "cases_compared": len(a.cases.keys() | b.cases.keys()),
        "differing_cases": len(differences),
        "differences": [asdict(difference) for difference in differences[:500]],
        "warnings": _warnings(a),
    }


def _differences(a: dict[str, CaseOutcome], b: dict[str, CaseOutcome]) -> list[Difference]:
    """Cases whose escalations, highest level or final level differ, in case order."""
    found = []
    missing = CaseOutcome("not opened", 0, ())
    for case in sorted(a.keys() | b.keys()):
        one, two = a.get(case, missing), b.get(case, missing)
        if one.outcome == two.outcome:
            continue
        first_a, first_b = _first_difference(one.decisions, two.decisions)
        found.append(Difference(case, one.outcome, two.outcome, first_a, first_b))
    return found


def _warnings(side: SideResult) -> list[str]:
    found = []
    if not side.resolutions:
        found.append(
            "The history has no resolutions (an import?): cases never stop, so every clock "
            "and timed rule runs to the end of the history, time at each level is counted "
            "to the end, and resolution figures are empty."
        )
    if not side.acknowledgements:
        found.append(
            "The history has no acknowledgements: every escalation stays unacknowledged, so "
            "rules on escalation.unacknowledged fire on every one of them, under both policies."
        )
    return found


def _outcome(policy: Policy, track: _Track) -> str:
    highest = policy.levels[track.highest].name
    plural = "" if track.escalations == 1 else "s"
    return f"{track.escalations} escalation{plural}, up to {highest}, ends at {track.level}"


def _words(decision: tuple[int, str, str] | None) -> str:
    if decision is None:
        return "none"
    at, action, rule = decision
    return f"{from_us(at).isoformat()} {action} ({rule})"


def _first_difference(
    first: tuple[tuple[int, str, str], ...], second: tuple[tuple[int, str, str], ...]
) -> tuple[str | None, str | None]:
    for left, right in zip(first, second, strict=False):
        if left != right:
            return _words(left), _words(right)
    if len(first) != len(second):
        longer = first if len(first) > len(second) else second
        extra = _words(longer[min(len(first), len(second))])
        return (extra, "none") if longer is first else ("none", extra)
    return (
        f"after the first {KEPT_DECISIONS} decisions",
        f"after the first {KEPT_DECISIONS} decisions",
    )
