"""The people each hour of the coming week needs, against the people the roster has then.

Demand is what history shows: arrivals at a team by hour of the week (a mean over the weeks
looked at) and the time its people spend per case. Each hour is sized with Erlang C for the
goal (`erlang.agents_needed`); the roster's side counts the team's people whose working hours
are open in the middle of that hour. Hours of the week are counted in UTC both ways, so history
and the coming week line up whatever the people's time zones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from escalon.core.assignment import Candidate
from escalon.core.forecast.erlang import StaffingAnswer, agents_needed, offered_load, service_level
from escalon.core.state import from_us

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
WEEK_HOURS = 168
HOUR_SECONDS = 3600
# 1970-01-01, instant 0, was a Thursday: counted from Monday 00:00, it is 72 hours in.
MONDAY_OFFSET_HOURS = 72
_MONDAY_OFFSET_US = MONDAY_OFFSET_HOURS * HOUR_US


def week_position(at_us: int) -> int:
    """Microseconds since the start of `at_us`'s week, Monday 00:00 UTC."""
    return (at_us + _MONDAY_OFFSET_US) % WEEK_US


def hour_of_week(at_us: int) -> int:
    """0 for Monday 00:00-01:00 UTC, up to 167 for Sunday 23:00-24:00."""
    return week_position(at_us) // HOUR_US


def whole_hours(since_us: int, until_us: int) -> tuple[int, int]:
    """The window's whole hours, as instants: the first hour's start, the last hour's end."""
    return -(-since_us // HOUR_US) * HOUR_US, until_us // HOUR_US * HOUR_US


def weekly_means(counts: Sequence[int], since_us: int, until_us: int) -> tuple[float, ...]:
    """Each hour of the week's count over the whole hours of [since, until), divided by how
    many times that hour of the week lies in the window."""
    first, last = (edge // HOUR_US for edge in whole_hours(since_us, until_us))
    whole, _ = divmod(max(0, last - first), WEEK_HOURS)
    seen = [whole] * WEEK_HOURS
    for hour in range(first + whole * WEEK_HOURS, last):
        seen[hour_of_week(hour * HOUR_US)] += 1
    return tuple(n / times if times else 0.0 for n, times in zip(counts, seen, strict=True))


def weekly_arrivals(instants: Iterable[int], since_us: int, until_us: int) -> tuple[float, ...]:
    """Mean arrivals in each hour of the week over the whole hours of [since, until)."""
    first, last = whole_hours(since_us, until_us)
    counts = [0] * WEEK_HOURS
    for at in instants:
        if first <= at < last:
            counts[hour_of_week(at)] += 1
    return weekly_means(counts, since_us, until_us)


@dataclass(frozen=True, slots=True)
class Demand:
    """What a team's history says it gets: arrivals by hour of the week, time per case."""

    arrivals: tuple[float, ...]  # WEEK_HOURS means
    handle_seconds: float
    measured_cases: int  # cases whose time spent gave the handle time; 0: it is assumed


@dataclass(frozen=True, slots=True)
class StaffingGoal:
    """What the team wants of each hour: `goal` of arrivals answered within the target."""

    target_seconds: float
    goal: float
    shrinkage: float = 0.0
    max_occupancy: float = 1.0


@dataclass(frozen=True, slots=True)
class StaffedHour:
    """One hour of the coming week: what it needs and what the roster gives it."""

    start_us: int
    arrivals: float
    needed: int  # to roster, shrinkage included
    rostered: int  # the team's people working then
    service_level: float  # what the rostered people achieve, shrinkage taken out

    @property
    def short(self) -> int:
        """People missing (0: enough)."""
        return max(0, self.needed - self.rostered)

    @property
    def label(self) -> str:
        """`Mon 7 Dec 14:00-15:00 UTC`."""
        start, end = from_us(self.start_us), from_us(self.start_us + HOUR_US)
        return f"{start:%a %-d %b %H:%M}-{end:%H:%M} UTC"


def rostered_at(people: Sequence[Candidate], at_us: int) -> int:
    """People whose working hours are open at the instant (no hours set: always working)."""
    return sum(1 for p in people if p.working_hours is None or p.working_hours.is_open_us(at_us))


def staffed_hours(
    demand: Demand,
    goal: StaffingGoal,
    people: Sequence[Candidate],
    start_us: int,
    hours: int = WEEK_HOURS,
) -> tuple[StaffedHour, ...]:
    """Each hour from the one holding `start_us`: needed against rostered."""
    first = start_us // HOUR_US * HOUR_US
    sized: dict[int, StaffingAnswer] = {}  # one answer per hour of the week
    found = []
    for offset in range(hours):
        at = first + offset * HOUR_US
        slot = hour_of_week(at)
        arrivals = demand.arrivals[slot]
        if slot not in sized:
            sized[slot] = agents_needed(
                arrivals=arrivals,
                interval_seconds=HOUR_SECONDS,
                handle_seconds=demand.handle_seconds,
                target_seconds=goal.target_seconds,
                goal=goal.goal,
                shrinkage=goal.shrinkage,
                max_occupancy=goal.max_occupancy,
            )
        rostered = rostered_at(people, at + HOUR_US // 2)
        found.append(
            StaffedHour(
                at,
                arrivals,
                sized[slot].agents,
                rostered,
                _achieved(demand, goal, arrivals, rostered),
            )
        )
    return tuple(found)


def _achieved(demand: Demand, goal: StaffingGoal, arrivals: float, rostered: int) -> float:
    """The share answered within the target by the rostered people, less shrinkage."""
    if arrivals == 0:
        return 1.0
    load = offered_load(arrivals, HOUR_SECONDS, demand.handle_seconds)
    on_duty = math.floor(rostered * (1 - goal.shrinkage) + 1e-9)
    return service_level(load, on_duty, goal.target_seconds, demand.handle_seconds)
