"""Category classifier benchmark: accuracy on a held-out split of public customer utterances.

The classifier of `escalon triage train --label category` is trained on 70 % of the Bitext
development half (../shared/data/intents, label `category`, 11 categories) and scored on the
other 30 % (stratified by category, fixed seed). Prints accuracy, macro-F1 (goal: accuracy at
least 0.95), training time and prediction time. The data stays outside the repository: without
it the benchmark says so and exits 0, or 1 under CI=true, where the data must be present.

    python -m bench.category            # the whole development half (10,778 utterances)
    python -m bench.category --tiny     # 1,500 utterances, what CI runs
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from escalon.triage.category import (
    CategoryModel,
    accuracy_and_macro_f1,
    read_labelled,
    save_category_model,
    train_categories,
)
from escalon.triage.trained import TrainingData

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILE = Path("intents") / "bitext-utterances-dev.csv"
SEED = 13
HELD_OUT = 0.3
TINY_ROWS = 1500
GOAL = 0.95


def stratified_split(
    labels: Sequence[str], *, held_out: float, seed: int
) -> tuple[list[int], list[int]]:
    """Row indices for training and for testing, each label split in the same proportion."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    shuffle = random.Random(seed).shuffle
    train: list[int] = []
    test: list[int] = []
    for label in sorted(by_label):
        rows = by_label[label]
        shuffle(rows)
        cut = round(len(rows) * held_out)
        test.extend(rows[:cut])
        train.extend(rows[cut:])
    return sorted(train), sorted(test)


def sample(data: TrainingData, rows: int, seed: int) -> TrainingData:
    """A stratified sample of about `rows` rows (all of them when there are fewer)."""
    if rows >= len(data.texts):
        return data
    _rest, kept = stratified_split(data.labels, held_out=rows / len(data.texts), seed=seed)
    return TrainingData([data.texts[i] for i in kept], [data.labels[i] for i in kept], 0)


@dataclass(frozen=True, slots=True)
class Figures:
    """What one run measured."""

    rows: int
    categories: int
    held_out: int
    accuracy: float
    macro_f1: float
    train_seconds: float
    predict_seconds: float
    one_text_seconds: float
    model_bytes: int


def evaluate(path: Path, *, tiny: bool = False, seed: int = SEED) -> Figures:
    """Train on the 70 % part, score on the 30 % part."""
    data = read_labelled(path, "utterance", "category")
    if tiny:
        data = sample(data, TINY_ROWS, seed)
    train_rows, test_rows = stratified_split(data.labels, held_out=HELD_OUT, seed=seed)
    training = TrainingData(
        [data.texts[i] for i in train_rows], [data.labels[i] for i in train_rows], 0
    )
    started = time.perf_counter()
    model = train_categories(training, seed=seed)
    trained = time.perf_counter() - started
    texts = [data.texts[i] for i in test_rows]
    started = time.perf_counter()
    guesses = model.predict(texts)
    predicted = time.perf_counter() - started
    accuracy, macro_f1 = accuracy_and_macro_f1(
        [data.labels[i] for i in test_rows], [guess.category for guess in guesses]
    )
    one_by_one = texts[:200]
    started = time.perf_counter()
    for text in one_by_one:
        model.guess(text)
    single = (time.perf_counter() - started) / len(one_by_one)
    return Figures(
        rows=len(data.texts),
        categories=len(set(data.labels)),
        held_out=len(texts),
        accuracy=accuracy,
        macro_f1=macro_f1,
        train_seconds=trained,
        predict_seconds=predicted,
        one_text_seconds=single,
        model_bytes=_model_size(model),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Train, score and print (exit 1 without the data under CI=true)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="The shared data folder.")
    parser.add_argument("--tiny", action="store_true", help=f"{TINY_ROWS} utterances, for CI.")
    parser.add_argument("--seed", type=int, default=SEED, help="Seed of the split and model.")
    args = parser.parse_args(list(argv) if argv is not None else None)
    path = args.data / FILE
    if not path.is_file():
        message = f"category benchmark skipped: {path} is missing"
        if os.environ.get("CI") == "true":
            raise SystemExit(f"{message} (CI=true: the data must be there)")
        print(message)
        return 0
    f = evaluate(path, tiny=args.tiny, seed=args.seed)
    print(
        f"Category classifier on {path.name} ({f.rows:,} utterances, {f.categories} "
        f"categories; stratified {100 - HELD_OUT * 100:.0f}/{HELD_OUT * 100:.0f} split, "
        f"seed {args.seed})"
    )
    print(f"  accuracy on the held-out {f.held_out:,}: {f.accuracy:.4f} (goal {GOAL})")
    print(f"  macro-F1: {f.macro_f1:.4f}")
    print(f"  training on {f.rows - f.held_out:,}: {f.train_seconds:.2f} s")
    print(
        f"  prediction: {f.predict_seconds:.2f} s for {f.held_out:,} in one batch "
        f"({f.held_out / f.predict_seconds:,.0f}/s); {f.one_text_seconds * 1000:.2f} ms for "
        "one text at intake"
    )
    print(f"  model file: {f.model_bytes / 1024:,.0f} KiB")
    return 0


def _model_size(model: CategoryModel) -> int:
    """The size of the model's file once written."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "categories.model"
        save_category_model(model, path)
        return path.stat().st_size


if __name__ == "__main__":
    raise SystemExit(main())
