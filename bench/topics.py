"""Topics benchmark: how well `escalon topics` finds what people labelled, and how fast at scale.

Quality (on ../shared/data): negative airline tweets grouped into 10 topics, scored with
normalized mutual information against the reason people gave each tweet (`negativereason`), and
CFPB complaint narratives into 20 topics against their `Issue`; Escalon's method against plain
TF-IDF and k-means at the same number of topics, over the same seeds, in the same run. Goal:
NMI at least 1.5x the baseline's on the tweets.

Scale: `escalon topics` over 100,000 customers' messages (real ones from ../shared/data, each
repeated with small changes, as a busy help desk hears one complaint many times) in its own
process: wall time and peak memory. Goal: under 60 s and under 1 GiB.

    python -m bench.topics            # full size
    python -m bench.topics --tiny     # what CI runs: 1,500 tweets, 2,000 messages
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sklearn.metrics import normalized_mutual_info_score

from bench.processes import timed_escalon
from escalon.learning.topics import baseline_topics, find_topics

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GOAL_RATIO = 1.5
GOAL_SECONDS = 60.0
GOAL_BYTES = 2**30


def rows(name: str, skip: int = 0) -> list[dict[str, str]]:
    """The rows of a CSV file under ../shared/data (after `skip` lines of preamble)."""
    with (DATA / name).open(encoding="utf-8", newline="") as source:
        for _ in range(skip):
            next(source)
        return list(csv.DictReader(source))


def labelled_sets(tiny: bool) -> list[tuple[str, list[str], list[str], int]]:
    """(name, texts, labels, topics) of each labelled set."""
    tweets = [
        row
        for row in rows("sentiment/airline-sentiment-dev.csv")
        if row["airline_sentiment"] == "negative" and row["negativereason"]
    ]
    complaints = [
        row
        for row in rows("cfpb/complaints-sample.csv", skip=2)
        if row["Consumer complaint narrative"] and row["Issue"]
    ]
    if tiny:
        tweets, complaints = tweets[:1500], complaints[:600]
    return [
        (
            "negative airline tweets vs negativereason",
            [row["text"] for row in tweets],
            [row["negativereason"] for row in tweets],
            10,
        ),
        (
            "CFPB narratives vs Issue",
            [row["Consumer complaint narrative"] for row in complaints],
            [row["Issue"] for row in complaints],
            20,
        ),
    ]


def quality(tiny: bool) -> dict[str, float]:
    """NMI of both methods on each labelled set; print the two side by side."""
    seeds = (0,) if tiny else (0, 1, 2)
    figures: dict[str, float] = {}
    for index, (name, texts, labels, count) in enumerate(labelled_sets(tiny)):
        ours, plain, seconds = [], [], []
        for seed in seeds:
            started = time.perf_counter()
            found = find_topics(texts, count, seed).assigned
            seconds.append(time.perf_counter() - started)
            ours.append(normalized_mutual_info_score(labels, found))
            plain.append(normalized_mutual_info_score(labels, baseline_topics(texts, count, seed)))
        mean_ours, mean_plain = statistics.fmean(ours), statistics.fmean(plain)
        ratio = mean_ours / mean_plain
        print(
            f"{name}: {len(texts):,} texts, {len(set(labels))} labels, {count} topics, "
            f"seeds {','.join(map(str, seeds))}\n"
            f"  TF-IDF + k-means   NMI {mean_plain:.3f} (runs {_spread(plain)})\n"
            f"  escalon topics     NMI {mean_ours:.3f} (runs {_spread(ours)}), "
            f"{statistics.fmean(seconds):.1f} s a run\n"
            f"  ratio {ratio:.2f}x"
            + (
                f" (goal {GOAL_RATIO}x: {'met' if ratio >= GOAL_RATIO else 'NOT met'})"
                if index == 0
                else ""
            )
        )
        key = "tweets" if index == 0 else "cfpb"
        figures.update({f"{key}_nmi": mean_ours, f"{key}_baseline_nmi": mean_plain})
    return figures


def _spread(values: list[float]) -> str:
    return ", ".join(f"{value:.3f}" for value in values)


def customer_messages(count: int, seed: int = 0) -> list[str]:
    """`count` messages: real ones from ../shared/data, repeated with a word dropped or a
    reference number added after the first pass."""
    pool = [row["text"] for row in rows("sentiment/airline-sentiment-dev.csv")]
    pool += [row["text"] for row in rows("complaints/complaints-tweets-dev.csv")]
    pool += [row["text"] for row in rows("twcs/twcs-head-5000.csv") if row["inbound"] == "True"]
    pool += [row["utterance"] for row in rows("intents/bitext-utterances-dev.csv")]
    pool += [
        row["Consumer complaint narrative"][:1500]
        for row in rows("cfpb/complaints-sample.csv", skip=2)
        if row["Consumer complaint narrative"]
    ]
    rng = random.Random(seed)
    messages = []
    for number in range(count):
        words = pool[number % len(pool)].split()
        if number >= len(pool):
            if len(words) > 4:
                del words[rng.randrange(len(words))]
            if rng.random() < 0.3:
                words.append(f"ref {rng.randrange(10_000, 99_999)}")
        messages.append(" ".join(words))
    return messages


def scale(count: int) -> dict[str, float]:
    """`escalon topics` over `count` messages in a fresh process: wall time and peak memory."""
    folder = Path(tempfile.mkdtemp(prefix="escalon-topics-"))
    source = folder / "messages.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for number, text in enumerate(customer_messages(count)):
            out.write(json.dumps({"id": number, "text": text}) + "\n")
    elapsed, peak = timed_escalon(["topics", str(source), "--out", str(folder / "topics.jsonl")])
    lines = sum(1 for _ in (folder / "topics.jsonl").open())
    assert lines == count, (lines, count)
    met = elapsed < GOAL_SECONDS and peak < GOAL_BYTES
    print(
        f"escalon topics on {count:,} messages: {elapsed:.1f} s wall, peak memory "
        f"{peak / 2**20:,.0f} MiB (goal under {GOAL_SECONDS:.0f} s and 1 GiB: "
        f"{'met' if met else 'NOT met'})"
    )
    return {"scale_messages": count, "scale_seconds": elapsed, "scale_peak_mib": peak / 2**20}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Measure the quality against the baseline, then the run at scale."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="Small sizes, for CI.")
    parser.add_argument("--messages", type=int, default=None, help="Messages in the scale run.")
    args = parser.parse_args(argv)
    figures = quality(args.tiny)
    figures.update(scale(args.messages or (2_000 if args.tiny else 100_000)))
    return figures


if __name__ == "__main__":
    main()
