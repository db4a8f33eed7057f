"""Knowledge-base suggestion benchmark: is the right help article among the first three?

The Bitext customer-service utterances (../shared/data/intents, development half) are the
customers' messages; `bench/kb_articles/` holds one help-centre article per intent, written as
a help centre would write it (from the intent's name, not from the utterances). An utterance is
answered when its intent's article is among the first three suggested. A fifth of the
utterances (stratified, seed 0) serves as the index's log of past messages (their text only,
never their intent); the other four fifths are scored. Escalon's index
(`escalon.knowledge.ranking`) against TF-IDF cosine over the articles, in the same run.
Goal: at least 85 % answered, and above the baseline.

    python -m bench.kb            # every utterance
    python -m bench.kb --tiny     # what CI runs: 2,000 utterances
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split

from escalon.knowledge.articles import read_folder
from escalon.knowledge.ranking import ArticleIndex

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ARTICLES = Path(__file__).resolve().parent / "kb_articles"
GOAL = 0.85
TOP = 3


def answered(scores: NDArray[np.float32], gold: NDArray[np.int64]) -> float:
    """Share of rows whose gold column is among the `TOP` highest (ties count against it)."""
    rank = (scores > scores[np.arange(len(gold)), gold][:, None]).sum(axis=1)
    return float(np.mean(rank < TOP))


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Score both methods on the held-out utterances; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="2,000 utterances, for CI.")
    args = parser.parse_args(argv)
    articles = read_folder(ARTICLES)
    ids = [article.id for article in articles]
    with (DATA / "intents" / "bitext-utterances-dev.csv").open(encoding="utf-8") as source:
        rows = [row for row in csv.DictReader(source) if row["intent"] in ids]
    if args.tiny:
        rows = rows[:: max(1, len(rows) // 2000)][:2000]
    texts = [row["utterance"] for row in rows]
    gold = np.array([ids.index(row["intent"]) for row in rows])
    log_rows, held = train_test_split(
        np.arange(len(rows)), test_size=0.8, random_state=0, stratify=gold
    )
    asked, truth = [texts[i] for i in held], gold[held]
    plain = TfidfVectorizer().fit([article.text for article in articles])
    baseline = (plain.transform(asked) @ plain.transform([a.text for a in articles]).T).toarray()
    figures = {"baseline": answered(baseline, truth)}
    started = time.perf_counter()
    alone = ArticleIndex(articles)
    figures["articles_alone"] = answered(alone.scores(asked), truth)
    started = time.perf_counter()
    taught = ArticleIndex(articles, [texts[i] for i in log_rows])
    built = time.perf_counter() - started
    started = time.perf_counter()
    figures["with_log"] = answered(taught.scores(asked), truth)
    scored = time.perf_counter() - started
    met = figures["with_log"] >= GOAL and figures["with_log"] > figures["baseline"]
    print(
        f"{len(asked):,} utterances scored ({len(log_rows):,} more as the log), "
        f"{len(articles)} articles; right article in the first {TOP}:\n"
        f"  TF-IDF cosine                         {figures['baseline']:.3f}\n"
        f"  escalon, articles alone               {figures['articles_alone']:.3f}\n"
        f"  escalon, taught by the log            {figures['with_log']:.3f}  "
        f"(goal {GOAL:.0%} and above the baseline: {'met' if met else 'NOT met'})\n"
        f"  index built in {built:.1f} s; {len(asked) / scored:,.0f} messages/s scored"
    )
    return figures


if __name__ == "__main__":
    main()
