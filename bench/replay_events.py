"""A synthetic, time-ordered stream of case events for the replay benchmark.

Cases open at random instants over a period; each lives for hours to days through messages,
waits on the customer, escalations, approvals, resolution, sometimes a reopening and a survey.
Events are written in time order while only the open cases' future events are held in memory.

    python -m bench.replay_events --cases 100000 --out /tmp/events.jsonl
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
CHANNELS = ("email", "chat", "web", "phone", "social", "api")
CATEGORIES = ("technical", "billing", "account", "shipping", "refund")
OPENINGS = (
    "The app crashes when I open the invoices page.",
    "I was charged twice for my subscription this month.",
    "Please help, I cannot log in since yesterday.",
    "My parcel has not arrived and tracking shows nothing.",
    "I would like a refund for the order I returned two weeks ago.",
    "Your export to CSV produces an empty file.",
    "How do I add a second user to my account?",
    "Please change the billing address on my invoices.",
    "The dashboard is very slow this morning.",
    "This is the third time I write about the same problem and nobody fixes it.",
    "Absolutely unacceptable service, I want this sorted today.",
)
REPLIES = (
    "Thanks, here is the screenshot you asked for.",
    "Any update on this?",
    "It still does not work after the steps you sent.",
    "Great, that fixed it. Thank you!",
    "I have attached the invoice number.",
    "Sure, I restarted it and tried again.",
    "I tried again this morning, same result.",
    "Yes, that is the right account.",
    "Ok, I will wait for your answer.",
    "It worked yesterday but not today.",
)
# Now and then a customer asks for someone else or loses patience.
HEATED = (
    "Can I talk to a manager please?",
    "I am really disappointed, this has taken far too long.",
    "Is there a human I can speak with instead of this bot?",
)
AGENT = (
    "Thanks for reaching out, we are looking into it.",
    "Could you send us a screenshot of the error?",
    "We have found the cause and are preparing a fix.",
    "The refund has been issued.",
)


def case_events(
    rng: random.Random, number: int, opened_at: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    """The story of one case, about ten events long."""
    case = f"C{number}"
    t = opened_at
    events: list[tuple[datetime, dict[str, Any]]] = []

    def add(event_type: str, **fields: Any) -> None:
        events.append((t, {"at": t.isoformat(), "type": event_type, "case": case, **fields}))

    def later(low_minutes: float, high_minutes: float) -> datetime:
        return t + timedelta(minutes=rng.uniform(low_minutes, high_minutes))

    opening: dict[str, Any] = {
        "customer": f"K{rng.randrange(number // 3 + 1)}",
        "tier": "enterprise" if rng.random() < 0.15 else "standard",
        "channel": rng.choice(CHANNELS),
        "category": rng.choice(CATEGORIES),
        "subject": "Support request",
        "body": rng.choice(OPENINGS),
    }
    if rng.random() < 0.5:
        opening["impact"] = rng.choice(("high", "medium", "low"))
        opening["urgency"] = rng.choice(("high", "medium", "low"))
    add("case.opened", **opening)
    t = later(5, 240)
    add("agent.message", agent=f"a{rng.randrange(40)}", body=rng.choice(AGENT))
    if rng.random() < 0.25:
        t = later(1, 30)
        add(
            "agent.message",
            agent=f"a{rng.randrange(40)}",
            body="Internal note: checked the logs.",
            public=False,
        )
    for _ in range(rng.randint(1, 3)):
        t = later(10, 600)
        add("customer.message", body=rng.choice(HEATED if rng.random() < 0.08 else REPLIES))
        if rng.random() < 0.3:
            # A supervisor picks up whatever the message escalated.
            t = later(3, 25)
            add("escalation.acknowledged", agent=f"s{rng.randrange(8)}")
        if rng.random() < 0.3:
            t = later(1, 60)
            add("status.changed", status="pending_customer")
            t = later(30, 1500)
            add("customer.message", body=rng.choice(REPLIES))
        t = later(5, 240)
        add(
            "agent.message",
            agent=f"a{rng.randrange(40)}",
            body=rng.choice(AGENT),
            public=rng.random() < 0.85,
        )
    if rng.random() < 0.1:
        t = later(1, 120)
        add(
            "approval.requested",
            agent=f"a{rng.randrange(40)}",
            kind="refund",
            amount=rng.choice((20, 120, 800, 7000)),
        )
        t = later(3, 25)
        add("escalation.acknowledged", agent=f"s{rng.randrange(8)}")
    if rng.random() < 0.1:
        t = later(1, 120)
        add(
            "case.escalated",
            agent=f"a{rng.randrange(40)}",
            to="supervisor",
            reason="needs approval",
        )
        t = later(3, 40)
        add("escalation.acknowledged", agent=f"s{rng.randrange(8)}")
    t = later(10, 600)
    add("status.changed", status="resolved")
    if rng.random() < 0.1:
        t = later(60, 2000)
        add("customer.message", body=rng.choice(REPLIES))
        t = later(10, 300)
        add("status.changed", status="resolved")
    if rng.random() < 0.35:
        t = later(60, 1500)
        add("survey.answered", score=rng.randint(1, 5))
    return events


CaseEvents = Callable[[random.Random, int, datetime], list[tuple[datetime, dict[str, Any]]]]


def interleave(events_of: CaseEvents, cases: int, seed: int, days: float) -> Iterator[str]:
    """JSON lines in time order for `cases` cases opened over `days` days, each case's events
    made by `events_of`."""
    rng = random.Random(seed)
    span = days * 86400 / max(cases, 1)
    pending: list[tuple[datetime, int, str]] = []
    sequence = 0
    opened_at = START
    for number in range(1, cases + 1):
        opened_at += timedelta(seconds=rng.expovariate(1 / span))
        while pending and pending[0][0] <= opened_at:
            yield heapq.heappop(pending)[2]
        for moment, event in events_of(rng, number, opened_at):
            sequence += 1
            heapq.heappush(pending, (moment, sequence, json.dumps(event)))
    while pending:
        yield heapq.heappop(pending)[2]


def write_lines(lines: Iterable[str], out: IO[str], limit: int | None = None) -> int:
    """Write the lines (the first `limit` if given), one a line; return how many."""
    count = 0
    for line in lines:
        if limit is not None and count >= limit:
            break
        out.write(line)
        out.write("\n")
        count += 1
    return count


def command(
    writer: Callable[[int, IO[str], int, int | None], int],
    default_cases: int,
    description: str | None,
    argv: list[str] | None,
) -> None:
    """The command line of a stream generator: `--cases`, `--seed`, `--events`, `--out`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", type=int, default=default_cases)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--events", type=int, default=None, help="Stop after this many events.")
    parser.add_argument("--out", default="-")
    args = parser.parse_args(argv)
    if args.out == "-":
        count = writer(args.cases, sys.stdout, args.seed, args.events)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            count = writer(args.cases, out, args.seed, args.events)
    print(f"{count} events for {args.cases} cases", file=sys.stderr)


def generate(cases: int, seed: int = 7, days: float = 60.0) -> Iterator[str]:
    """JSON lines in time order for `cases` cases opened over `days` days."""
    return interleave(case_events, cases, seed, days)


def write(cases: int, out: IO[str], seed: int = 7, limit: int | None = None) -> int:
    """Write the stream (its first `limit` events if given); return the number of events."""
    return write_lines(generate(cases, seed), out, limit)


def main(argv: list[str] | None = None) -> None:
    """Command line: write a stream of generated events."""
    command(write, 100_000, __doc__.splitlines()[0] if __doc__ else None, argv)


if __name__ == "__main__":
    main()
