"""A simulated support team, for judging breach forecasts where the truth is known.

The generator is documented in docs/forecast.md: cases arrive at a rate that follows the hour of
the week; a roster puts people on shift by hour of the week; each case needs a handle time drawn
from a log-normal whose median depends on its category; free people on shift take the waiting
case that falls due first (by its first-response target), answer it when its handle time is
spent and resolve it. Some customers write again after the answer, and that message waits in
the same queue. The output is replay events, sorted, reproducible from the seed.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from escalon.core.forecast.staffing import HOUR_US, WEEK_HOURS, hour_of_week
from escalon.core.state import from_us, to_us

# First-response targets the simulated team works to (the policy in docs/forecast.md).
TARGETS_MINUTES = {"P1": 30, "P2": 120, "P3": 480}
PRIORITIES = (("P1", 0.06), ("P2", 0.24), ("P3", 0.70))
# Median handle minutes by category, and the spread (sigma of the log).
CATEGORIES = (("billing", 0.35, 9.0), ("technical", 0.45, 22.0), ("account", 0.20, 6.0))
SIGMA = 0.6
FOLLOW_UP_SHARE = 0.3


def _weekly(weekday: float, evening: float, night: float, weekend: float) -> tuple[float, ...]:
    """A value per hour of the week: weekdays 08-18 UTC, their evenings 18-22, nights, weekends."""
    hours = []
    for hour in range(WEEK_HOURS):
        day, clock = divmod(hour, 24)
        if day >= 5:
            value = weekend if 9 <= clock < 17 else night
        elif 8 <= clock < 18:
            value = weekday
        elif 18 <= clock < 22:
            value = evening
        else:
            value = night
        hours.append(value)
    return tuple(hours)


@dataclass(frozen=True, slots=True)
class TeamModel:
    """Arrivals per hour and people on shift per hour of the week (UTC)."""

    arrivals: tuple[float, ...] = _weekly(6.0, 3.0, 0.6, 1.5)
    roster: tuple[int, ...] = tuple(int(n) for n in _weekly(3, 1, 0, 1))
    team: str = "frontline"


@dataclass(order=True, slots=True)
class _Waiting:
    due: int
    case: str = field(compare=False)
    arrived: int = field(compare=False)
    handle_us: int = field(compare=False)
    follow_up: bool = field(compare=False)


def simulate(
    *, weeks: int, seed: int = 7, start: datetime | None = None, model: TeamModel | None = None
) -> list[dict[str, Any]]:
    """The events of `weeks` weeks of the simulated team, sorted by instant."""
    model = model or TeamModel()
    rng = random.Random(seed)
    begin = to_us(start or datetime(2026, 1, 5, tzinfo=UTC))  # a Monday
    end = begin + weeks * 7 * 24 * HOUR_US
    events: list[tuple[int, int, dict[str, Any]]] = []
    serial = 0

    def emit(at: int, event: dict[str, Any]) -> None:
        nonlocal serial
        serial += 1
        events.append((at, serial, {"at": from_us(at).isoformat(), **event}))

    # Customers' messages still to come: (instant, order, case, due, handle time, writes again).
    coming: list[tuple[int, int, str, int, int, bool]] = []
    for at, case, priority, category, handle, follow in _arrivals(rng, model, begin, end):
        emit(at, _opened(case, priority, category, rng, model.team))
        due = at + TARGETS_MINUTES[priority] * 60_000_000
        coming.append((at, len(coming), case, due, handle, follow))
    heapq.heapify(coming)
    waiting: list[_Waiting] = []
    free_at: list[int] = []  # when each person now on shift is free again
    hour = begin
    give_up = end + 8 * 7 * 24 * HOUR_US  # a roster that never clears its queue stops here
    while (hour < end or waiting or coming) and hour < give_up:
        hour_end = hour + HOUR_US
        on_shift = model.roster[hour_of_week(hour)] if hour < end else max(model.roster)
        free_at = sorted(max(at, hour) for at in free_at)[:on_shift]
        free_at += [hour] * (on_shift - len(free_at))
        while True:
            moment = min(free_at) if free_at else hour_end
            limit = min(moment, hour_end)
            while coming and coming[0][0] <= limit:
                at, _, case, due, handle, follow = heapq.heappop(coming)
                heapq.heappush(waiting, _Waiting(due, case, at, handle, follow))
            if moment >= hour_end:
                break
            if not waiting:
                if not coming or coming[0][0] >= hour_end:
                    break
                # Idle until the next message arrives.
                arrival = coming[0][0]
                free_at = [max(at, arrival) for at in free_at]
                continue
            person = free_at.index(moment)
            item = heapq.heappop(waiting)
            done = moment + item.handle_us
            free_at[person] = done
            emit(done, _answer(item.case, f"agent{person + 1}"))
            if item.follow_up:
                again = done + int(rng.expovariate(1 / 1800) * 1_000_000) + 60_000_000
                emit(again, _follow_up(item.case))
                due = again + TARGETS_MINUTES["P2"] * 60_000_000
                order = len(coming) + done
                heapq.heappush(coming, (again, order, item.case, due, item.handle_us // 2, False))
            else:
                emit(done + 60_000_000, _resolved(item.case))
        hour = hour_end
    events.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in events]


def _arrivals(
    rng: random.Random, model: TeamModel, begin: int, end: int
) -> Iterator[tuple[int, str, str, str, int, bool]]:
    """(instant, case, priority, category, handle time, will write again) in time order."""
    number = 0
    hour = begin
    while hour < end:
        rate = model.arrivals[hour_of_week(hour)]
        count = _poisson(rng, rate)
        instants = sorted(hour + int(rng.random() * HOUR_US) for _ in range(count))
        for at in instants:
            number += 1
            priority = _pick(rng, PRIORITIES)
            category, median = _category(rng)
            handle_minutes = median * math.exp(rng.gauss(0.0, SIGMA))
            follow = rng.random() < FOLLOW_UP_SHARE
            yield at, f"sim-{number}", priority, category, int(handle_minutes * 60_000_000), follow
        hour += HOUR_US


def _answer(case: str, agent: str) -> dict[str, Any]:
    body = "Here is what we found."
    return {"type": "agent.message", "case": case, "agent": agent, "public": True, "body": body}


def _follow_up(case: str) -> dict[str, Any]:
    return {"type": "customer.message", "case": case, "body": "Thanks, one more question."}


def _resolved(case: str) -> dict[str, Any]:
    return {"type": "status.changed", "case": case, "status": "resolved"}


def _opened(
    case: str, priority: str, category: str, rng: random.Random, team: str
) -> dict[str, Any]:
    tier = "enterprise" if rng.random() < 0.1 else "standard"
    return {
        "type": "case.opened",
        "case": case,
        "customer": f"customer-{rng.randrange(1, 2000)}",
        "tier": tier,
        "channel": "email" if rng.random() < 0.7 else "chat",
        "category": category,
        "priority": priority,
        "team": team,
        "subject": f"{category} question",
        "body": f"I need help with my {category}.",
    }


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (means here are small)."""
    count, total = 0, rng.expovariate(1.0) if mean > 0 else math.inf
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for name, share in choices:
        roll -= share
        if roll < 0:
            return name
    return choices[-1][0]


def _category(rng: random.Random) -> tuple[str, float]:
    roll = rng.random()
    for name, share, median in CATEGORIES:
        roll -= share
        if roll < 0:
            return name, median
    return CATEGORIES[-1][0], CATEGORIES[-1][2]


SIMULATED_POLICY = """\
name: simulated-team
version: 1
calendars:
  always: {timezone: UTC, hours: always}
priority:
  order: [P1, P2, P3]
  impact: [high, low]
  urgency: [high, low]
  matrix:
    - [P1, P2]
    - [P2, P3]
  default: P3
levels:
  - {name: frontline, team: frontline}
  - {name: supervisor, team: supervisors}
slas:
  - name: urgent
    when: {priority: [P1]}
    calendar: always
    targets: {first_response: 30m, next_response: 2h}
  - name: high
    when: {priority: [P2]}
    calendar: always
    targets: {first_response: 2h, next_response: 2h}
  - name: normal
    calendar: always
    targets: {first_response: 8h, next_response: 2h}
rules:
  - name: likely late
    trigger: sla.at_risk
    if: {breach_probability_above: 0.7}
    do:
      - notify: [supervisor]
  - name: late
    trigger: sla.breach
    do:
      - notify: [supervisor]
"""


def policy_text() -> str:
    """The policy the simulated team works to (its targets are `TARGETS_MINUTES`)."""
    return SIMULATED_POLICY


def as_lines(events: list[dict[str, Any]]) -> Iterator[str]:
    """The events as JSON lines."""
    import json

    for event in events:
        yield json.dumps(event)


def window(events: list[dict[str, Any]], weeks: int) -> datetime:
    """The instant `weeks` weeks after the first event (to split history from the later window)."""
    first = datetime.fromisoformat(events[0]["at"])
    return first + timedelta(weeks=weeks)
