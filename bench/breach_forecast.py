"""Breach forecast benchmark: how well it foresees breaches on a later window, and what it costs.

Two histories, each replayed with the forecast looking at every running clock (the start of a
cycle and each tenth of its target, as `sla.at_risk` does); the looks of the earlier 70 % of the
span fit the model, the later 30 % judge it (`escalon.forecast.breach_training`):
- a simulated team (`escalon.forecast.simulation`, documented in docs/forecast.md): arrivals by
  hour of the week, a roster, log-normal handle times by category;
- the TWCS import of ../shared/data (real tweets to brands): each brand is a team (the brand that
  answered the thread is the one the customer wrote to), first and next response within 1 h.
On the later window the model is set against, in the same run, "priority alone" and "a fixed
warning at 75 %" (each given calibrated probabilities from the earlier window): AUC and Brier
score. Goal: beat both on both.

Cost: the forecast of every open case of a queue of 10,000 (the replay's forecast with the
fitted model: the queue's bisection, the pace, the features and the model), in µs per case.
Goal: under 100 µs (the dashboard benchmark measures the queue page itself).

    python -m bench.breach_forecast          # 12 simulated weeks, TWCS, 10,000 open cases
    python -m bench.breach_forecast --tiny   # what CI runs: 3 weeks, 1,000 open cases
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from escalon.channels.importers import read_csv, twcs_events
from escalon.core.engine import open_case
from escalon.core.events import CaseOpened, parse_event
from escalon.core.forecast.breach import BreachModel
from escalon.core.forecast.pace import PaceBook
from escalon.core.forecast.staffing import WEEK_US
from escalon.core.policy import parse_policy
from escalon.core.replay.foresight import ReplayForesight
from escalon.core.sla import first_due_clock
from escalon.core.state import from_us, to_us
from escalon.forecast.breach_training import TooLittleHistory, train_and_judge
from escalon.forecast.simulation import as_lines, policy_text, simulate

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GOAL_US = 100.0
BASELINES = ("priority_alone", "fixed_warning_75")


def twcs_history(path: Path) -> tuple[str, list[str]]:
    """The TWCS events with each case in the team of the brand that answered it, and a policy
    with those teams, first and next response within 1 h around the clock."""
    with path.open(encoding="utf-8", newline="") as source:
        events = list(twcs_events(read_csv(source)))
    brand: dict[str, str] = {}
    for event in events:
        if event["type"] == "agent.message":
            brand.setdefault(event["case"], _team_name(event["agent"]))
    kept = [event for event in events if event["case"] in brand]
    for event in kept:
        if event["type"] == "case.opened":
            event["team"] = brand[event["case"]]
    document = yaml.safe_load(policy_text())
    document["name"] = "twcs-brands"
    document["teams"] = sorted(set(brand.values()))
    document["slas"] = [
        {
            "name": "social",
            "calendar": "always",
            "targets": {"first_response": "1h", "next_response": "1h"},
        }
    ]
    return yaml.safe_dump(document, sort_keys=False), [json.dumps(event) for event in kept]


def _team_name(agent: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in agent.lower()).strip("-")
    return f"brand-{cleaned or 'unknown'}"


def judge(name: str, policy: str, lines: list[str]) -> dict[str, Any]:
    """Fit and judge on one history; print the figures."""
    started = time.perf_counter()
    _, report = train_and_judge(policy, lines)
    took = time.perf_counter() - started
    methods = report["methods"]
    print(
        f"\n{name}: {len(lines):,} events; fitted on {report['earlier_looks']:,} looks, judged on "
        f"{report['looks']:,} later ones ({report['breached']:,} breached) in {took:.1f} s"
    )
    print(f"  {'forecast':<18} {'AUC':>6} {'Brier':>7}")
    for method, figures in methods.items():
        auc = figures["auc"]
        shown = "  n/a" if auc is None else f"{auc:.3f}"
        print(f"  {method:<18} {shown:>6} {figures['brier']:>7.4f}")
    model = methods["model"]
    beaten = [
        baseline
        for baseline in BASELINES
        if model["auc"] is not None
        and methods[baseline]["auc"] is not None
        and model["auc"] > methods[baseline]["auc"]
        and model["brier"] < methods[baseline]["brier"]
    ]
    verdict = "met" if len(beaten) == len(BASELINES) else "NOT met"
    print(f"  goal (beat both baselines on AUC and Brier): {verdict}")
    print(
        "  reliability:",
        ", ".join(
            f"{row['forecast']:.2f}->{row['observed']:.2f} ({row['count']})"
            for row in report["reliability"]
        ),
    )
    return report


def cost(open_cases: int, model: BreachModel) -> float:
    """µs per case to forecast every case of a queue of `open_cases` (median of 5 rounds)."""
    policy = parse_policy(policy_text(), "sim.yaml")
    now = to_us(datetime(2026, 3, 2, 10, tzinfo=UTC))  # a Monday morning
    foresight = ReplayForesight(policy, model=model)
    # Eight weeks of answers, one every seven minutes, give the team its pace.
    paces = foresight.paces = PaceBook(since=now - 8 * WEEK_US)
    for minute in range(0, 8 * 7 * 24 * 60, 7):
        paces.answered("frontline", paces.since + minute * 60_000_000)
    states = []
    for n in range(open_cases):
        opened = {
            "at": from_us(now - (n % 600) * 6_000_000).isoformat(),
            "type": "case.opened",
            "case": f"c{n}",
            "customer": f"k{n}",
            "priority": ("P1", "P2", "P3")[n % 3],
            "team": "frontline",
            "tier": "standard",
            "channel": "email",
            "category": "billing",
        }
        event = parse_event(opened)
        assert isinstance(event, CaseOpened)
        state = open_case(policy, event).state
        due, _, metric = first_due_clock(policy, state)
        assert due is not None
        assert metric is not None
        foresight.queues.place(state.case, state.team, due)
        states.append((state, metric, due))
    target = 8 * 3600 * 1_000_000
    rounds = []
    for _ in range(5):
        began = time.perf_counter()
        for state, metric, due in states:
            foresight.breach_probability(state, metric, due, target, now)
        rounds.append((time.perf_counter() - began) / len(states) * 1e6)
    return statistics.median(rounds)


def main(argv: list[str] | None = None) -> None:
    """Judge the forecast on both histories and measure its cost."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="3 weeks, 1,000 open cases (CI).")
    parser.add_argument("--weeks", type=int, default=None, help="Simulated weeks (default 12).")
    args = parser.parse_args(argv)
    weeks = args.weeks or (3 if args.tiny else 12)
    model, _ = train_and_judge(policy_text(), list(as_lines(simulate(weeks=weeks))))
    judge(f"simulated team, {weeks} weeks", policy_text(), list(as_lines(simulate(weeks=weeks))))
    twcs = DATA / "twcs" / "twcs-head-5000.csv"
    if twcs.exists():
        policy, lines = twcs_history(twcs)
        try:
            judge(f"TWCS ({twcs.name}), brands as teams", policy, lines)
        except TooLittleHistory as error:
            print(f"\nTWCS: {error}")
    else:
        print(f"\nTWCS: {twcs} is missing; skipped")
    open_cases = 1_000 if args.tiny else 10_000
    per_case = cost(open_cases, model)
    verdict = "met" if per_case < GOAL_US else "NOT met"
    print(
        f"\nforecast cost at {open_cases:,} open cases: {per_case:.1f} µs per case "
        f"(goal under {GOAL_US:.0f} µs: {verdict}); all of them: {per_case * open_cases / 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
