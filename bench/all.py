"""Every benchmark in one go: `python -m bench.all` (full size) or `--tiny` (what CI runs)."""

from __future__ import annotations

import argparse
import time

from bench import (
    api,
    breach_forecast,
    calendar_add,
    category,
    dashboard,
    escalation_risk,
    kb,
    mail,
    people,
    replay,
    replay_compare,
    replies,
    review,
    root_cause,
    search,
    topics,
    training_build,
    training_practice,
    triage_eval,
    worker,
)


def main(argv: list[str] | None = None) -> None:
    """Run every benchmark in turn, at full size or tiny."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="Small sizes, for CI.")
    args = parser.parse_args(argv)
    runs = [
        ("calendar add()", calendar_add.main, ["--n", "2000"] if args.tiny else []),
        ("replay", replay.main, ["--cases", "500"] if args.tiny else []),
        ("replay compare", replay_compare.main, ["--cases", "2000"] if args.tiny else []),
        ("triage evaluation", triage_eval.main, ["--quick"] if args.tiny else []),
        ("category classifier", category.main, ["--tiny"] if args.tiny else []),
        ("worker (PostgreSQL)", worker.main, ["--tiny"] if args.tiny else []),
        ("REST API", api.main, ["--tiny"] if args.tiny else []),
        ("people: assignment and on-call schedules", people.main, ["--tiny"] if args.tiny else []),
        ("inbound e-mail", mail.main, ["--tiny"] if args.tiny else []),
        ("dashboard queue page", dashboard.main, ["--tiny"] if args.tiny else []),
        ("replies through the outbox (SMTP)", replies.main, ["--tiny"] if args.tiny else []),
        ("case search (SQLite and PostgreSQL)", search.main, ["--tiny"] if args.tiny else []),
        ("recurring topics (escalon topics)", topics.main, ["--tiny"] if args.tiny else []),
        ("root-cause suggestion", root_cause.main, ["--tiny"] if args.tiny else []),
        ("escalation risk at intake (TWCS)", escalation_risk.main, ["--tiny"] if args.tiny else []),
        ("knowledge-base suggestion", kb.main, ["--tiny"] if args.tiny else []),
        ("weekly review (PostgreSQL)", review.main, ["--tiny"] if args.tiny else []),
        ("breach forecast", breach_forecast.main, ["--tiny"] if args.tiny else []),
        ("training scenarios from TWCS", training_build.main, ["--tiny"] if args.tiny else []),
        ("practice sessions: page loads", training_practice.main, ["--tiny"] if args.tiny else []),
    ]
    for title, run, arguments in runs:
        print(f"\n### {title}")
        started = time.perf_counter()
        run(arguments)
        print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
