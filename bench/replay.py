"""Replay benchmark: a generated stream of case events through `escalon replay`, end to end.

Prints events per second (wall time of the whole command: reading, detecting, deciding, writing
decisions) and the peak memory of the replaying process, on two streams: the default one (the
example policy; cases live through messages, waits, surveys) and a dense one (`bench.replay_dense`:
most cases escalate, unacknowledged escalations climb, clocks pause and resume).

    python -m bench.replay                          # both: 1,000,000 events of 100,000 cases,
                                                    # then 230,000 dense events of 40,000 cases
    python -m bench.replay --stream dense --jobs 1  # the dense stream on one core
    python -m bench.replay --cases 500              # what CI runs (both streams)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import replay_dense, replay_events

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "policy.yaml"
GOAL_EVENTS_PER_SECOND = 50_000
# Each stream: its generator, its default number of cases, and whether the stream is cut at ten
# events per case (the default stream's size is counted in events).
STREAMS = {"default": (replay_events, 100_000, True), "dense": (replay_dense, 40_000, False)}


def run_replay(policy: Path, events: Path, out: Path, report: Path, jobs: int) -> tuple[float, int]:
    """Run the CLI once; return (wall seconds, peak resident memory of its largest process)."""
    command = [
        str(Path(sys.executable).with_name("escalon")),
        "replay",
        "--policy",
        str(policy),
        "--events",
        str(events),
        "--out",
        str(out),
        "--report",
        str(report),
        "--jobs",
        str(jobs),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None
        raise SystemExit(f"replay failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Generate each stream (once per size), replay it, print and return the figures."""
    parser = argparse.ArgumentParser(description="Replay benchmark")
    parser.add_argument(
        "--stream", choices=(*STREAMS, "both"), default="both", help="Which stream to replay."
    )
    parser.add_argument(
        "--cases", type=int, default=None, help="Cases per stream (default: 100,000 and 40,000)."
    )
    parser.add_argument(
        "--events", type=int, default=None, help="Cut the stream there (default: 10 per case)."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--policy", type=Path, default=None, help="Replay under this policy instead."
    )
    parser.add_argument(
        "--jobs",
        default="1,0",
        help="Comma-separated process counts to measure (0: the replay's own choice).",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="Folder for the stream and outputs."
    )
    args = parser.parse_args(argv)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="escalon-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, float] = {}
    for name in STREAMS if args.stream == "both" else (args.stream,):
        print(f"-- {name} stream")
        for key, value in replay_stream(name, folder, args).items():
            figures[key if name == "default" else f"{name}_{key}"] = value
    return figures


def replay_stream(name: str, folder: Path, args: argparse.Namespace) -> dict[str, float]:
    """Generate one stream (once per size), replay it, print and return its figures."""
    generator, default_cases, cut = STREAMS[name]
    cases = args.cases if args.cases is not None else default_cases
    policy = args.policy
    if policy is None:
        if generator is replay_dense:
            policy = folder / "dense-policy.yaml"
            policy.write_text(replay_dense.POLICY, encoding="utf-8")
        else:
            policy = POLICY
    # The file name carries a digest of the generator, so a changed generator is not read stale.
    digest = hashlib.sha256(Path(str(generator.__file__)).read_bytes()).hexdigest()[:8]
    limit = args.events if args.events is not None else (10 * cases if cut else None)
    events = folder / f"events-{name}-{cases}-{limit}-{args.seed}-{digest}.jsonl"
    if not events.exists():
        started = time.perf_counter()
        with events.open("w", encoding="utf-8") as stream:
            count = generator.write(cases, stream, args.seed, limit)
        print(
            f"generated {count:,} events for {cases:,} cases in {time.perf_counter() - started:.1f} s"
        )
    count = sum(1 for _ in events.open("rb"))
    print(
        f"stream: {count:,} events, {events.stat().st_size / 2**20:,.0f} MiB; policy: {policy.name}"
    )
    figures: dict[str, float] = {"events": count}
    baseline: float | None = None
    for jobs in (int(text) for text in args.jobs.split(",")):
        decisions_path = folder / f"decisions-{name}-{jobs}.jsonl"
        report_path = folder / f"report-{name}-{jobs}.json"
        elapsed, peak = run_replay(policy, events, decisions_path, report_path, jobs)
        rate = count / elapsed
        label = "jobs=auto" if jobs == 0 else f"jobs={jobs}"
        verdict = "met" if rate >= GOAL_EVENTS_PER_SECOND else "NOT met"
        ratio = f", {rate / baseline:.2f}x jobs=1" if baseline else ""
        print(
            f"{label}: {elapsed:.2f} s wall, {rate:,.0f} events/s (goal {GOAL_EVENTS_PER_SECOND:,}: "
            f"{verdict}){ratio}; peak memory of the largest process {peak / 2**20:,.0f} MiB"
        )
        if jobs == 1:
            baseline = rate
        figures[f"{label}_events_per_second"] = rate
        figures[f"{label}_peak_bytes"] = peak
    report = json.loads(report_path.read_text())
    decisions = sum(1 for _ in decisions_path.open("rb"))
    print(
        f"cases {report['cases']:,}, decisions {decisions:,}, escalation rate "
        f"{report['escalation_rate']}, skipped {report['skipped_events']}, first response "
        f"compliance {report['sla']['first_response']['compliance']}"
    )
    outputs = sorted(folder.glob(f"decisions-{name}-*.jsonl"))
    if len(outputs) > 1:
        same = len({path.read_bytes() for path in outputs}) == 1
        print(f"decisions identical across process counts: {'yes' if same else 'NO'}")
    return figures


if __name__ == "__main__":
    main()
