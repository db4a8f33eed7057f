"""Choosing who handles a case: the strategies, over a team's people as they stand right now.

Only people who are present and under capacity are chosen. Present means: status `available`
and inside their working hours; someone on call counts as present during their shift (unless
away), whatever their working hours say. When nobody fits, the choice is empty and says why, so
the case waits in the team's queue and the policy can escalate it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from escalon.core.calendar import Calendar, CalendarError

STRATEGIES = ("round_robin", "least_loaded", "skills", "on_call")
AVAILABLE, AWAY, OFF_SHIFT = "available", "away", "off_shift"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One person of a team as assignment sees them."""

    handle: str
    status: str = AVAILABLE
    capacity: int = 20
    open_cases: int = 0
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    working_hours: Calendar | None = None  # None: no working hours set, always working

    @property
    def has_room(self) -> bool:
        """Whether they may take one more case."""
        return self.open_cases < self.capacity

    @property
    def load(self) -> float:
        """How full they are, 0 (empty) to 1 (at capacity)."""
        return self.open_cases / self.capacity if self.capacity else 1.0


@dataclass(frozen=True, slots=True)
class Need:
    """What a case asks of the person who handles it."""

    category: str | None = None
    language: str | None = None
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """Who was chosen (None: nobody fits, the case waits in the queue) and why."""

    strategy: str
    agent: str | None
    reason: str


def is_present(person: Candidate, at_us: int, *, on_call: bool = False) -> bool:
    """Whether someone can take a case now."""
    if person.status == AWAY:
        return False
    if on_call:
        return True
    if person.status != AVAILABLE:
        return False
    return person.working_hours is None or person.working_hours.is_open_us(at_us)


def choose(
    strategy: str,
    team: Sequence[Candidate],
    *,
    at_us: int,
    need: Need = Need(),
    last: str | None = None,
    on_call: str | None = None,
) -> Choice:
    """Pick one person of `team` (in the team's order) by `strategy`.

    `last` is whom the team's round robin gave the previous case; `on_call` is who the team's
    rotation has on call at `at_us`.
    """
    if strategy == "on_call":
        return _on_call(team, at_us, on_call)
    ready = [p for p in team if p.has_room and is_present(p, at_us, on_call=p.handle == on_call)]
    if not ready:
        return Choice(strategy, None, _nobody(team, at_us, on_call))
    if strategy == "round_robin":
        return _round_robin(team, ready, last)
    if strategy == "least_loaded":
        chosen = min(ready, key=_by_load)
        return Choice(
            strategy, chosen.handle, f"least loaded ({chosen.open_cases}/{chosen.capacity})"
        )
    if strategy == "skills":
        return _skills(ready, need)
    raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")


def _by_load(person: Candidate) -> tuple[float, int]:
    return person.load, person.open_cases


def _round_robin(team: Sequence[Candidate], ready: list[Candidate], last: str | None) -> Choice:
    order = {person.handle: position for position, person in enumerate(team)}
    start = order.get(last, -1) if last is not None else -1
    # The next ready person after the last one given a case, wrapping round.
    chosen = min(ready, key=lambda p: (order[p.handle] <= start, order[p.handle]))
    return Choice("round_robin", chosen.handle, f"next in turn after {last or 'nobody'}")


def _skills(ready: list[Candidate], need: Need) -> Choice:
    required = [
        (label, value)
        for label, value in (("category", need.category), ("language", need.language))
        if value
    ]
    fitting = [p for p in ready if all(_has(p, label, value) for label, value in required)]
    if not fitting:
        wanted = " and ".join(f"{label} {value!r}" for label, value in required)
        return Choice("skills", None, f"nobody present with room has {wanted}")
    # The tier is a preference: someone trained for it first, then the least loaded.
    chosen = min(
        fitting, key=lambda p: (need.tier is not None and need.tier not in p.skills, *_by_load(p))
    )
    matched = ", ".join(f"{label} {value}" for label, value in required) or "no requirement"
    return Choice("skills", chosen.handle, f"matches {matched}")


def _has(person: Candidate, label: str, value: str) -> bool:
    return value in (person.languages if label == "language" else person.skills)


def _on_call(team: Sequence[Candidate], at_us: int, on_call: str | None) -> Choice:
    if on_call is None:
        return Choice("on_call", None, "nobody is on call")
    person = next((p for p in team if p.handle == on_call), None)
    if person is None:
        return Choice("on_call", on_call, "on call (not a member of the team)")
    if not is_present(person, at_us, on_call=True):
        return Choice("on_call", None, f"{on_call} is on call but away")
    if not person.has_room:
        return Choice("on_call", None, f"{on_call} is on call but at capacity")
    return Choice("on_call", on_call, "on call now")


def _nobody(team: Iterable[Candidate], at_us: int, on_call: str | None) -> str:
    people = list(team)
    if not people:
        return "the team has nobody"
    present = [p for p in people if is_present(p, at_us, on_call=p.handle == on_call)]
    if not present:
        return "nobody in the team is present now"
    return "everyone present is at capacity"


def next_arrival(
    team: Iterable[Candidate], at_us: int, *, rotation_changes: Iterable[int] = ()
) -> int | None:
    """The next instant after `at_us` someone of the team may become present: the start of a
    person's working hours (of those not away), or a change of who is on call. None: no such
    instant is known (only a change to someone's status or hours can bring anyone)."""
    starts = [at for at in rotation_changes if at > at_us]
    for person in team:
        if person.status != AVAILABLE or person.working_hours is None:
            continue
        if person.working_hours.is_open_us(at_us):
            continue
        try:
            starts.append(person.working_hours.next_open_us(at_us))
        except CalendarError:
            continue  # hours with no open time at all never start
    return min(starts, default=None)
