"""Replay-compare benchmark: two policies over one history cost no more than two replays.

The default stream of `bench.replay` (the example policy; 100,000 cases, 1,000,000 events) is
replayed under the example policy (A) and under a proposal that waits four times longer before
climbing past an unacknowledged escalation (B): `escalon replay` once for each, one process, then
`escalon replay compare` once. Goal: the comparison takes no longer than the two replays.

    python -m bench.replay_compare               # 1,000,000 events
    python -m bench.replay_compare --cases 2000  # what CI runs: 20,000 events
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench import replay_events
from bench.processes import timed_escalon
from bench.replay import POLICY


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Time both replays and the comparison; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000, help="Cases (ten events each).")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="escalon-compare-"))
    events = folder / "events.jsonl"
    with events.open("w", encoding="utf-8") as out:
        count = replay_events.write(args.cases, out, 7, 10 * args.cases)
    proposal = folder / "proposal.yaml"
    text = POLICY.read_text(encoding="utf-8").replace("\nversion: 1\n", "\nversion: 2\n")
    proposal.write_text(text.replace("after: 30m", "after: 2h"), encoding="utf-8")
    seconds: dict[str, float] = {}
    for name, policy in (("A", POLICY), ("B", proposal)):
        seconds[name], _ = timed_escalon(
            [
                "replay",
                "--policy",
                str(policy),
                "--events",
                str(events),
                "--jobs",
                "1",
                "--report",
                str(folder / f"report-{name}.json"),
            ]
        )
    seconds["compare"], peak = timed_escalon(
        [
            "replay",
            "compare",
            "--policy",
            str(POLICY),
            "--policy",
            str(proposal),
            "--events",
            str(events),
            "--report",
            str(folder / "compare.json"),
        ]
    )
    differing = json.loads((folder / "compare.json").read_text())["differing_cases"]
    both = seconds["A"] + seconds["B"]
    ratio = seconds["compare"] / both
    print(
        f"{count:,} events of {args.cases:,} cases: replay A {seconds['A']:.1f} s, replay B "
        f"{seconds['B']:.1f} s; compare {seconds['compare']:.1f} s = {ratio:.2f}x the two "
        f"replays (goal at most 1x: {'met' if ratio <= 1 else 'NOT met'}); {differing:,} cases "
        f"end differently; peak memory of the comparison {peak / 2**20:,.0f} MiB"
    )
    return {"events": count, "ratio": ratio, **{f"{k}_seconds": v for k, v in seconds.items()}}


if __name__ == "__main__":
    main()
