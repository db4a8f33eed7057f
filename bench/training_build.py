"""Scenarios built per second from real history: `escalon training build` on the TWCS import.

The TWCS head (../shared/data/twcs/twcs-head-5000.csv; `--tiny`: its first 1000 rows) is
imported as replay events, replayed under the example policy with the built-in detector, and
every escalated case is made a masked scenario and written as YAML. Prints cases read,
scenarios, seconds, scenarios/s and tweets/s (the whole path: import, replay, masking, files).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

from escalon.channels.importers import read_csv, twcs_events
from escalon.core.events import parse_event
from escalon.core.policy import parse_policy
from escalon.core.training.building import ScenarioBuilder
from escalon.demo import policy_text
from escalon.training.building import write_scenarios
from escalon.triage import load_analyzer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TWCS_HEAD = DATA / "twcs" / "twcs-head-5000.csv"


def main(argv: list[str] | None = None) -> None:
    """Build the scenarios of the TWCS head and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="The first 1000 rows only.")
    parser.add_argument("--file", type=Path, default=TWCS_HEAD, help="A TWCS CSV.")
    args = parser.parse_args(argv)
    if not args.file.exists():
        print(f"skipped: {args.file} is absent")
        return
    rows_wanted = 1000 if args.tiny else None
    policy = parse_policy(policy_text(), "examples/policy.yaml")
    analyzer = load_analyzer(None)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with args.file.open(encoding="utf-8-sig", newline="") as source:
            rows = list(islice(read_csv(source), rows_wanted))
        events = [parse_event(event) for event in twcs_events(rows)]
        builder = ScenarioBuilder(
            policy, analyzer=analyzer, source="twcs", salt=b"bench", on_skip=lambda *_: None
        )
        builder.feed(events)
        written = sum(1 for _ in write_scenarios(builder.finish(), Path(folder)))
        seconds = time.perf_counter() - started
    tally = builder.tally
    print(f"tweets read: {len(rows):,}; events: {tally.events:,}; cases read: {tally.cases:,}")
    print(f"escalated: {tally.escalated:,}; scenarios written: {written:,}")
    print(f"seconds: {seconds:.2f}")
    print(f"scenarios/s: {written / seconds:,.0f}; tweets/s: {len(rows) / seconds:,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
