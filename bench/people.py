"""People benchmark: assignment decisions per second with 1,000 agents in 100 teams, and on-call
schedule resolution per second for 100 teams' rotations.

    python -m bench.people              # 200,000 decisions and resolutions per measure
    python -m bench.people --tiny       # what CI runs
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from escalon.core.assignment import AVAILABLE, AWAY, OFF_SHIFT, Candidate, Need, choose
from escalon.core.calendar import Calendar
from escalon.core.rotations import Rotation, rotation_from_dict
from escalon.core.state import to_us

TEAMS = 100
PER_TEAM = 10
CATEGORIES = ("billing", "technical", "account", "delivery", "outage")
LANGUAGES = ("en", "de", "fr", "es")
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
START = to_us(datetime(2026, 10, 20, tzinfo=UTC))
SPAN = 60 * 24 * 3600 * 1_000_000  # two months, DST changes included


def build_teams(rng: random.Random) -> list[list[Candidate]]:
    """100 teams of 10 agents with assorted statuses, loads, skills and working hours."""
    hours = [
        Calendar.from_dict(
            {
                "timezone": zone,
                "hours": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            }
        )
        for zone in ZONES
    ]
    teams = []
    for t in range(TEAMS):
        people = []
        for p in range(PER_TEAM):
            capacity = rng.choice((5, 10, 20))
            people.append(
                Candidate(
                    handle=f"agent{t}-{p}",
                    status=rng.choices((AVAILABLE, AWAY, OFF_SHIFT), (8, 1, 1))[0],
                    capacity=capacity,
                    open_cases=rng.randint(0, capacity),
                    skills=frozenset(
                        rng.sample(CATEGORIES, 2) + (["enterprise"] if rng.random() < 0.3 else [])
                    ),
                    languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
                    working_hours=rng.choice([*hours, None]),
                )
            )
        teams.append(people)
    return teams


def build_rotations(rng: random.Random, teams: list[list[Candidate]]) -> list[Rotation]:
    """Per team: a weekly layer, a restricted office-hours layer on top, and a few overrides."""
    rotations = []
    for people in teams:
        zone = rng.choice(ZONES)
        handles = [p.handle for p in people]
        overrides = []
        for _ in range(3):
            start = datetime(2026, 10, 20, tzinfo=UTC) + timedelta(hours=rng.randint(0, 1400))
            overrides.append(
                {
                    "person": rng.choice(handles),
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=rng.randint(2, 48))).isoformat(),
                }
            )
        rotations.append(
            rotation_from_dict(
                {
                    "layers": [
                        {
                            "name": "week",
                            "members": handles[:5],
                            "shift": "1w",
                            "handoff": "2026-10-19T09:00",
                            "timezone": zone,
                        },
                        {
                            "name": "office",
                            "members": handles[5:],
                            "shift": "1d",
                            "handoff": "2026-10-19T09:00",
                            "timezone": zone,
                            "restrict": {
                                d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")
                            },
                        },
                    ],
                    "overrides": overrides,
                }
            )
        )
    return rotations


def rate(label: str, count: int, work: Callable[[int], object]) -> float:
    """Run `work(i)` count times and print the rate."""
    started = time.perf_counter()
    for i in range(count):
        work(i)
    per_second = count / (time.perf_counter() - started)
    print(f"  {label}: {per_second:,.0f}/s", flush=True)
    return per_second


def main(argv: list[str] | None = None) -> None:
    """Measure every strategy and the two schedule questions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="Small counts, for CI.")
    args = parser.parse_args(argv)
    count = 2_000 if args.tiny else 200_000
    rng = random.Random(5)
    teams = build_teams(rng)
    rotations = build_rotations(rng, teams)
    instants = [START + rng.randrange(SPAN) for _ in range(1024)]
    needs = [
        Need(rng.choice(CATEGORIES), rng.choice(LANGUAGES), rng.choice(("enterprise", None)))
        for _ in range(64)
    ]
    print(f"people benchmark: {TEAMS * PER_TEAM:,} agents in {TEAMS} teams, {count:,} each")
    chosen = [0]

    def decide(strategy: str) -> Callable[[int], object]:
        def work(i: int) -> object:
            team = i % TEAMS
            at = instants[i % 1024]
            on_call = rotations[team].on_call(at) if strategy == "on_call" else None
            choice = choose(
                strategy,
                teams[team],
                at_us=at,
                need=needs[i % 64],
                last=teams[team][i % PER_TEAM].handle,
                on_call=on_call,
            )
            chosen[0] += choice.agent is not None
            return choice

        return work

    for strategy in ("round_robin", "least_loaded", "skills", "on_call"):
        rate(f"assignment, {strategy}", count, decide(strategy))
    print(f"  (someone was chosen in {chosen[0] / (4 * count):.0%} of the decisions)")
    rate(
        "who is on call at t (100 rotations)",
        count,
        lambda i: rotations[i % TEAMS].who(instants[i % 1024]),
    )
    rate(
        "next 5 shifts from t",
        count // 20,
        lambda i: rotations[i % TEAMS].next_shifts(instants[i % 1024], 5),
    )


if __name__ == "__main__":
    main()
