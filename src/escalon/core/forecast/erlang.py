"""Erlang C: how many agents a queue needs to answer a share of its arrivals within a target.

The model is a queue with Poisson arrivals, exponential handle times, agents who take the next
case as soon as they are free, and customers who wait as long as it takes (M/M/N). Support
cases are not phone calls, but the same arithmetic tells a lead whether an hour's roster can
meet its first-response target. Shrinkage is the share of paid time an agent is not at the queue
(breaks, meetings, training, absence), so the rostered number is the on-duty number divided by
what is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# No support queue carries more: a bound on the arithmetic, so a hostile input cannot run long.
MAX_LOAD = 10_000.0


class StaffingError(ValueError):
    """The question cannot be answered as asked (says which input and why)."""


@dataclass(frozen=True, slots=True)
class StaffingAnswer:
    """The agents an interval needs, and what they achieve."""

    agents: int  # to roster, shrinkage included
    on_duty: int  # answering the queue at once
    service_level: float  # share answered within the target by `on_duty` agents
    wait_probability: float  # share that waits at all
    average_wait_seconds: float  # average speed of answer, waiting or not
    occupancy: float  # share of on-duty time spent handling
    load: float  # offered load in erlangs (agents kept busy on average)


def offered_load(arrivals: float, interval_seconds: float, handle_seconds: float) -> float:
    """Erlangs: arrivals per second times seconds each takes."""
    if arrivals < 0:
        raise StaffingError(f"arrivals must not be negative, got {arrivals}")
    if interval_seconds <= 0:
        raise StaffingError(f"the interval must be longer than zero, got {interval_seconds} s")
    if handle_seconds <= 0:
        raise StaffingError(f"the handle time must be longer than zero, got {handle_seconds} s")
    load = arrivals * handle_seconds / interval_seconds
    if load > MAX_LOAD:
        raise StaffingError(
            f"{load:,.0f} agents kept busy at once is more than this model is asked for "
            f"(at most {MAX_LOAD:,.0f}); split the queue"
        )
    return load


def _blocking(load: float, agents: int, start: tuple[int, float] = (0, 1.0)) -> float:
    """Erlang B by its recurrence from `start` (agents, blocking): no factorials, no overflow."""
    known, blocking = start
    for servers in range(known + 1, agents + 1):
        blocking = load * blocking / (servers + load * blocking)
    return blocking


def _waiting_from_blocking(load: float, agents: int, blocking: float) -> float:
    """Erlang C from Erlang B at the same size."""
    return agents * blocking / (agents - load * (1 - blocking))


def wait_probability(load: float, agents: int) -> float:
    """Erlang C: the share of arrivals that find every agent busy (1 when the queue only grows)."""
    if agents <= load:
        return 1.0
    return _waiting_from_blocking(load, agents, _blocking(load, agents))


def _level(load: float, agents: int, waiting: float, target: float, handle: float) -> float:
    """Service level from the share that waits."""
    return 1 - waiting * math.exp(-(agents - load) * target / handle)


def service_level(load: float, agents: int, target_seconds: float, handle_seconds: float) -> float:
    """The share of arrivals answered within `target_seconds` by `agents` on duty."""
    if agents <= load:
        return 0.0
    return _level(load, agents, wait_probability(load, agents), target_seconds, handle_seconds)


def average_wait(load: float, agents: int, handle_seconds: float) -> float:
    """Average speed of answer in seconds over all arrivals (infinite when the queue only grows)."""
    if agents <= load:
        return math.inf
    return wait_probability(load, agents) * handle_seconds / (agents - load)


def agents_needed(
    *,
    arrivals: float,
    interval_seconds: float,
    handle_seconds: float,
    target_seconds: float,
    goal: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> StaffingAnswer:
    """The fewest agents that answer `goal` of the arrivals within the target, kept at or under
    `max_occupancy`, and how many to roster once shrinkage is taken out."""
    load = offered_load(arrivals, interval_seconds, handle_seconds)
    if target_seconds < 0:
        raise StaffingError(f"the target must not be negative, got {target_seconds} s")
    if not 0 < goal < 1:
        raise StaffingError(f"the goal must be a share between 0 and 1 (exclusive), got {goal}")
    if not 0 <= shrinkage < 1:
        raise StaffingError(f"shrinkage must be at least 0 and below 1, got {shrinkage}")
    if not 0 < max_occupancy <= 1:
        raise StaffingError(
            f"the maximum occupancy must be above 0 and at most 1, got {max_occupancy}"
        )
    if load == 0:
        return StaffingAnswer(0, 0, 1.0, 0.0, 0.0, 0.0, 0.0)
    on_duty = max(math.floor(load) + 1, math.ceil(load / max_occupancy))
    blocking = _blocking(load, on_duty)
    waiting = _waiting_from_blocking(load, on_duty, blocking)
    # Each agent more is one step of the recurrence: the search costs what its answer does.
    while _level(load, on_duty, waiting, target_seconds, handle_seconds) < goal:
        on_duty += 1
        blocking = _blocking(load, on_duty, (on_duty - 1, blocking))
        waiting = _waiting_from_blocking(load, on_duty, blocking)
    return StaffingAnswer(
        # The small allowance keeps 14 / 0.7 at 20 where floating point makes it 20.000000004.
        agents=math.ceil(on_duty / (1 - shrinkage) - 1e-9),
        on_duty=on_duty,
        service_level=_level(load, on_duty, waiting, target_seconds, handle_seconds),
        wait_probability=waiting,
        average_wait_seconds=waiting * handle_seconds / (on_duty - load),
        occupancy=load / on_duty,
        load=load,
    )
