"""Two policies over the same history: what each would have done, and where they part.

`Comparison` reads every line once and applies each event to two replays, one per policy, so a
comparison costs less than two replays. Besides each replay's report it counts the time cases
spent at each level (until resolved or closed, or the end) and keeps, per case, enough of each
side's decisions to say whether its outcome differs and at which decision the two first part.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from escalon.core.engine import Action
from escalon.core.events import CaseOpened, EventError, StatusChanged, parse_event_json
from escalon.core.policy.compiled import Policy
from escalon.core.replay.loop import Replay
from escalon.core.roster.staff import StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.core.state import STOPPED_STATUSES, from_us, to_us

# Decisions kept per case and side to show where two sides part; the rest is only hashed.
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
    digest: int = 0


class _Side:
    """One policy's replay and what the comparison counts of it."""

    def __init__(self, policy: Policy, replay_options: dict[str, Any]) -> None:
        self.policy = policy
        self.rank = {level.name: index for index, level in enumerate(policy.levels)}
        self.cases: dict[str, _Track] = {}
        self.replay = Replay(policy, on_action=self.take, **replay_options)

    def take(self, action: Action) -> None:
        track = self.cases.get(action.case)
        if track is None:
            return  # a case this side refused to open
        signature = (action.at, action.action, action.rule)
        track.count += 1
        track.digest = zlib.crc32(repr(signature).encode(), track.digest)
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

    def finish(self, end: int | None) -> dict[str, Any]:
        report = self.replay.finish()
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
        return report


@dataclass(frozen=True, slots=True)
class Difference:
    """A case whose outcome differs between the two policies, and where their decisions part."""

    case: str
    outcome_a: str
    outcome_b: str
    first_a: str | None  # the first decision that differs, in words ("none": the side stops)
    first_b: str | None


class Comparison:
    """Replays one history under policies A and B at once."""

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
            _Side(
                a, {"analyzer": analyzer, "until": until, "roster": roster_a, "on_skip": on_skip}
            ),
            _Side(b, {"analyzer": analyzer, "until": until, "roster": roster_b}),
        )
        self.types: Counter[str] = Counter()
        self.resolutions = 0

    def feed(self, lines: Iterable[tuple[int, str | bytes]]) -> None:
        """Read numbered lines until they run out or one falls after `until`."""
        a, b = self.sides
        for number, line in lines:
            if not line or line.isspace():
                continue
            try:
                event = parse_event_json(line)
            except EventError as error:
                a.replay.unreadable(number, str(error))
                b.replay.unreadable(number, str(error))
                continue
            at = to_us(event.at)
            self.types[event.type] += 1
            for side in self.sides:
                if (isinstance(event, CaseOpened) and event.case not in side.replay.states) or (
                    isinstance(event, CaseOpened) and side.replay.states[event.case].is_final
                ):
                    side.opened(event.case, at)
                if not side.replay.feed_event(number, event):
                    return
                if isinstance(event, StatusChanged):
                    side.status(event.case, event.status, at)
            if isinstance(event, StatusChanged) and event.status in STOPPED_STATUSES:
                self.resolutions += 1

    def finish(self) -> dict[str, Any]:
        """Both reports, the cases whose outcome differs, and what the history lacks."""
        a, b = self.sides
        end = a.replay.until if a.replay.until is not None else a.replay.last_at
        reports = (a.finish(end), b.finish(end))
        differences = self.differences()
        return {
            "a": reports[0],
            "b": reports[1],
            "cases_compared": len(a.cases.keys() | b.cases.keys()),
            "differing_cases": len(differences),
            "differences": [asdict(difference) for difference in differences[:500]],
            "warnings": self.warnings(),
        }

    def differences(self) -> list[Difference]:
        """Cases whose escalations, highest level or final level differ, in case order."""
        a, b = self.sides
        found = []
        for case in sorted(a.cases.keys() | b.cases.keys()):
            one, two = a.cases.get(case), b.cases.get(case)
            outcome_a, outcome_b = _outcome(a, one), _outcome(b, two)
            if outcome_a == outcome_b:
                continue
            first_a, first_b = _first_difference(one, two)
            found.append(Difference(case, outcome_a, outcome_b, first_a, first_b))
        return found

    def warnings(self) -> list[str]:
        """What a history without resolutions or acknowledgements does to the figures."""
        found = []
        if not self.resolutions:
            found.append(
                "The history has no resolutions (an import?): cases never stop, so every clock "
                "and timed rule runs to the end of the history, time at each level is counted "
                "to the end, and resolution figures are empty."
            )
        if not self.types["escalation.acknowledged"]:
            found.append(
                "The history has no acknowledgements: every escalation stays unacknowledged, so "
                "rules on escalation.unacknowledged fire on every one of them, under both policies."
            )
        return found


def _outcome(side: _Side, track: _Track | None) -> str:
    if track is None:
        return "not opened"
    highest = side.policy.levels[track.highest].name
    plural = "" if track.escalations == 1 else "s"
    return f"{track.escalations} escalation{plural}, up to {highest}, ends at {track.level}"


def _words(decision: tuple[int, str, str] | None) -> str:
    if decision is None:
        return "none"
    at, action, rule = decision
    return f"{from_us(at).isoformat()} {action} ({rule})"


def _first_difference(one: _Track | None, two: _Track | None) -> tuple[str | None, str | None]:
    first = one.decisions if one is not None else []
    second = two.decisions if two is not None else []
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
