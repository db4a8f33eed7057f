"""Escalation-risk benchmark: how well the model of `escalon risk train` foresees, at intake,
which TWCS conversations will be escalated, judged on a later window than it learnt from.

TWCS (../shared/data/twcs, customer support on Twitter) never says which conversations were
escalated, so the label is what the example policy's text rules would do after intake: a case is
"escalated" when a LATER customer tweet of its thread asks for a manager or reads below -0.6 in
sentiment (the rules "customer asks for a manager" and "frustrated customer" of
examples/policy.yaml, read by the default detector). What the opening tweet says is a feature,
not the label: a case its own first tweet escalates is known at intake and needs no forecast.

Features at intake, as Escalon builds them (`escalon.forecast.risk.Example`): the brand the
customer wrote to (the first @handle of the opening tweet that is a brand) as the category, the
opening tweet's intents and sentiment, the customer's earlier threads in the file (in 7 and 90
days) and those of them escalated before this one opened, the hour of the week. Channel and tier
are the same for every case. Cases are threads started by a customer; the newest quarter by
opening time is the later window. Baselines: the base rate of the earlier cases, and "priority
alone", which here knows nothing (TWCS has no priorities) and equals the base rate.

    python -m bench.escalation_risk           # every row of twcs-head-5000.csv
    python -m bench.escalation_risk --tiny    # what CI runs: the first 2,500 rows
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from escalon.channels.importers import TwcsSummary, read_csv, twcs_events
from escalon.core.forecast.risk import HISTORY_US, RECENT_US, IntakeFacts, hour_of_week
from escalon.core.signals import MANAGER_REQUEST
from escalon.core.state import to_us
from escalon.forecast.risk import Example, TooLittleHistory, evaluate
from escalon.triage import DefaultDetector

DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "twcs" / "twcs-head-5000.csv"
)
FRUSTRATED_BELOW = -0.6  # the example policy's "frustrated customer" threshold
TINY_ROWS = 2500
_HANDLE = re.compile(r"@(\w+)")


def threads(limit: int | None) -> tuple[list[dict[str, Any]], set[str]]:
    """The customer-opened threads of the file, oldest first: opening, later customer tweets;
    and the brands that answered in it."""
    with DATA.open(encoding="utf-8", newline="") as source:
        lines = list(source)
    rows = list(read_csv(lines[: limit + 1] if limit is not None else lines))
    cases: dict[str, dict[str, Any]] = {}
    brands: set[str] = set()
    for event in twcs_events(rows, TwcsSummary()):
        at = to_us(datetime.fromisoformat(event["at"]))
        if event["type"] == "case.opened":
            cases[event["case"]] = {
                "at": at,
                "customer": event["customer"],
                "text": event["body"],
                "later": [],
            }
        elif event["type"] == "customer.message":
            cases[event["case"]]["later"].append((at, event["body"]))
        else:
            brands.add(str(event["agent"]).lower())
    return sorted(cases.values(), key=lambda case: case["at"]), brands


def examples(limit: int | None) -> list[Example]:
    """Each thread as the model sees it at intake, with its label from its later tweets."""
    found_threads, brands = threads(limit)
    detector = DefaultDetector()

    def escalating(text: str) -> bool:
        read = detector.analyze(text)
        return MANAGER_REQUEST in read.intents or read.sentiment < FRUSTRATED_BELOW

    earlier: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    found: list[Example] = []
    for number, case in enumerate(found_threads, start=1):
        at = case["at"]
        escalated_at = next((when for when, text in case["later"] if escalating(text)), None)
        before = [item for item in earlier[case["customer"]] if item[0] > at - HISTORY_US]
        read = detector.analyze(case["text"])
        brand = next(
            (name for name in _HANDLE.findall(case["text"].lower()) if name in brands), None
        )
        facts = IntakeFacts(
            channel="social",
            tier="standard",
            category=brand,
            intents=read.intents,
            sentiment=read.sentiment,
            recent_contacts=sum(1 for item in before if item[0] > at - RECENT_US),
            earlier_cases=len(before),
            earlier_escalations=sum(1 for item in before if item[1] is not None and item[1] < at),
            hour_of_week=hour_of_week(at),
        )
        found.append(Example(number, at, facts, escalated_at is not None, True, False))
        earlier[case["customer"]] = [*before, (at, escalated_at)]
    return found


def auc_margin(auc: float, positives: int, negatives: int) -> float:
    """Half the 95 % interval of an AUC on this many cases (Hanley and McNeil's standard error):
    with a few dozen escalations in the later window, the figure is rough, and says so."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    return 1.96 * math.sqrt(max(variance, 0.0))


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Fit on the earlier cases, judge on the later window; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help=f"The first {TINY_ROWS:,} rows.")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} is missing (see ../shared/data/README.md)")
        return {}
    started = time.perf_counter()
    cases = examples(TINY_ROWS if args.tiny else None)
    escalated = sum(1 for case in cases if case.escalated)
    try:
        judged = evaluate(cases, trained_at=0)
    except TooLittleHistory as error:
        print(f"{len(cases):,} cases, {escalated:,} escalated: no model ({error})")
        return {"cases": float(len(cases))}
    model, base = judged["model"], judged["baselines"]["base_rate"]
    margin = auc_margin(
        model["auc"], judged["test_escalated"], judged["test_cases"] - judged["test_escalated"]
    )
    by_priority = judged["baselines"]["priority"]
    print(
        f"{len(cases):,} TWCS threads opened by a customer, {escalated:,} escalated by a later "
        f"tweet ({escalated / len(cases):.1%}); {time.perf_counter() - started:.1f} s\n"
        f"  learnt from the {judged['train_cases']:,} earlier ({judged['train_escalated']:,} "
        f"escalated); judged on the {judged['test_cases']:,} later "
        f"({judged['test_escalated']:,} escalated), {judged['test_from'][:10]} to "
        f"{judged['test_until'][:10]}\n"
        f"  escalation-risk model   AUC {model['auc']:.3f}  Brier {model['brier']:.4f}"
        f"  (AUC within +/- {margin:.3f} at 95 %)\n"
        f"  base rate               AUC {base['auc']:.3f}  Brier {base['brier']:.4f}\n"
        f"  priority alone          AUC {by_priority['auc']:.3f}  Brier {by_priority['brier']:.4f}"
    )
    print("  reliability (probability: cases, mean said, share escalated)")
    for row in judged["reliability"]:
        print(
            f"    {row['low']:.1f}-{row['high']:.1f}: {row['cases']:>5,}  "
            f"{row['predicted']:.3f}  {row['observed']:.3f}"
        )
    sys.stdout.flush()
    return {
        "cases": float(len(cases)),
        "escalated_share": escalated / len(cases),
        "auc": model["auc"],
        "auc_margin": margin,
        "brier": model["brier"],
        "base_rate_brier": base["brier"],
        "priority_auc": by_priority["auc"],
        "priority_brier": by_priority["brier"],
    }


if __name__ == "__main__":
    main()
