"""Evaluate trigger detection on the development halves in ../shared/data.

`python -m bench.triage_eval [--data ../shared/data] [--quick] [--cv]`

Three tasks, each on its own public data set:
- manager_request: F1 against Bitext's `contact_human_agent` (every other intent is a negative);
- complaint: F1 on hand-labelled complaint tweets (complaint 1/0);
- sentiment: accuracy of negative vs not negative on airline tweets (sentiment < -0.05).

Each data set is split once, stratified, 70 % / 30 % with a fixed seed. The default detector is
scored on the whole half and on the 30 % part (which its grammar was not developed on); a model is
trained with `escalon.triage.trained.train` (what `escalon triage train` runs) on the 70 % part and
scored on the 30 % part. Baselines are measured in the same run: VADER alone, answering "negative"
every time, and a keyword list. With `--cv` the model is also scored by 5-fold stratified
cross-validation inside the 70 % part, the figure that model choices are made on.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST, TextSignals
from escalon.triage.default import DefaultDetector, vader
from escalon.triage.trained import LabelMapping, ModelDetector, TrainingData, train

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SEED = 13
TEST_SHARE = 0.3
QUICK_ROWS = 500
CV_FOLDS = 5
# The halves the default detector's grammar is developed on (A) and checked on (B).
HALVES_SEED = 29
NEGATIVE_BELOW = -0.05
# The keyword baseline: any of these words anywhere in the text.
KEYWORDS = re.compile(r"\b(?:manager|supervisor|human|agent|person|someone|representative)\b", re.I)


@dataclass(frozen=True, slots=True)
class Task:
    """One evaluation: a data set, its columns, what counts as positive, and the model mapping."""

    name: str
    metric: str
    path: str
    text_column: str
    label_column: str
    positive: str
    mapping: LabelMapping
    goal_default: float
    goal_trained: float
    predict: Callable[[TextSignals], bool]


TASKS = (
    Task(
        name="manager_request",
        metric="F1",
        path="intents/bitext-utterances-dev.csv",
        text_column="utterance",
        label_column="intent",
        positive="contact_human_agent",
        mapping=LabelMapping(intents={"contact_human_agent": MANAGER_REQUEST}),
        goal_default=0.95,
        goal_trained=0.97,
        predict=lambda s: MANAGER_REQUEST in s.intents,
    ),
    Task(
        name="complaint",
        metric="F1",
        path="complaints/complaints-tweets-dev.csv",
        text_column="text",
        label_column="complaint",
        positive="1",
        mapping=LabelMapping(intents={"1": COMPLAINT}),
        goal_default=0.72,
        goal_trained=0.80,
        predict=lambda s: COMPLAINT in s.intents,
    ),
    Task(
        name="sentiment",
        metric="accuracy",
        path="sentiment/airline-sentiment-dev.csv",
        text_column="text",
        label_column="airline_sentiment",
        positive="negative",
        mapping=LabelMapping(sentiment={"negative": -1.0, "neutral": 0.0, "positive": 1.0}),
        goal_default=0.80,
        goal_trained=0.87,
        predict=lambda s: s.sentiment < NEGATIVE_BELOW,
    ),
)


@dataclass(slots=True)
class Result:
    """Figures of one task."""

    task: Task
    rows: int
    train_rows: int
    test_rows: int
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def score(metric: str, truth: Sequence[bool], predicted: Sequence[bool]) -> float:
    """F1 of the positive class, or accuracy."""
    if metric == "accuracy":
        return sum(t == p for t, p in zip(truth, predicted, strict=True)) / max(len(truth), 1)
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def read_rows(path: Path, text_column: str, label_column: str) -> list[tuple[str, str]]:
    """(text, label) pairs of a CSV file, skipping rows without either."""
    with open(path, encoding="utf-8", newline="") as stream:
        rows = [
            ((row.get(text_column) or "").strip(), (row.get(label_column) or "").strip())
            for row in csv.DictReader(stream)
        ]
    return [(text, label) for text, label in rows if text and label]


def stratified_split(
    labels: Sequence[str], test_share: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices of a train and a test part holding each label in the same proportion."""
    from sklearn.model_selection import train_test_split

    indices = list(range(len(labels)))
    counts = {label: labels.count(label) for label in set(labels)}
    # A label seen once cannot be split both ways; it goes to training.
    stratify = [label if counts[label] > 1 else "__rare__" for label in labels]
    train_idx, test_idx = train_test_split(
        indices, test_size=test_share, random_state=seed, stratify=stratify
    )
    return sorted(train_idx), sorted(test_idx)


def sample(rows: list[tuple[str, str]], size: int, seed: int) -> list[tuple[str, str]]:
    """A stratified sample of `size` rows (all rows if there are fewer)."""
    if len(rows) <= size:
        return rows
    keep, _ = stratified_split([label for _, label in rows], 1 - size / len(rows), seed)
    return [rows[i] for i in keep]


def model_figures(
    task: Task,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_truth: Sequence[bool],
    *,
    seed: int,
    detector: DefaultDetector | None = None,
) -> dict[str, float]:
    """Train on one part and score on another: the task's figure, and the top label's."""
    training = TrainingData(texts=list(train_texts), labels=list(train_labels), skipped=0)
    model, _ = train(training, task.mapping, seed=seed)
    signals = ModelDetector(model, detector).analyze_many(list(test_texts))
    figures = {"": score(task.metric, test_truth, [task.predict(s) for s in signals])}
    if task.name == "sentiment":
        figures["label"] = score(
            task.metric, test_truth, [s.label == task.positive for s in signals]
        )
    return figures


def cross_validate(
    task: Task, texts: Sequence[str], labels: Sequence[str], *, seed: int
) -> dict[str, float]:
    """Figures of the model pooled over stratified folds of the training part only."""
    from sklearn.model_selection import StratifiedKFold

    counts = {label: labels.count(label) for label in set(labels)}
    stratify = [label if counts[label] >= CV_FOLDS else "__rare__" for label in labels]
    truth = [label == task.positive for label in labels]
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    predicted: dict[str, list[bool]] = {}
    order: list[int] = []
    for train_idx, test_idx in folds.split(texts, stratify):
        training = TrainingData(
            texts=[texts[i] for i in train_idx], labels=[labels[i] for i in train_idx], skipped=0
        )
        model, _ = train(training, task.mapping, seed=seed)
        signals = ModelDetector(model).analyze_many([texts[i] for i in test_idx])
        predicted.setdefault("", []).extend(task.predict(s) for s in signals)
        if task.name == "sentiment":
            predicted.setdefault("label", []).extend(s.label == task.positive for s in signals)
        order.extend(test_idx)
    ordered_truth = [truth[i] for i in order]
    return {key: score(task.metric, ordered_truth, values) for key, values in predicted.items()}


def evaluate_task(task: Task, data: Path, *, quick: bool, seed: int, cv: bool = False) -> Result:
    """Baselines, default detector and trained model on one task."""
    rows = read_rows(data / task.path, task.text_column, task.label_column)
    if quick:
        rows = sample(rows, QUICK_ROWS, seed)
    texts = [text for text, _ in rows]
    labels = [label for _, label in rows]
    truth = [label == task.positive for label in labels]
    train_idx, test_idx = stratified_split(labels, TEST_SHARE, seed)
    result = Result(task=task, rows=len(rows), train_rows=len(train_idx), test_rows=len(test_idx))
    test_truth = [truth[i] for i in test_idx]

    if task.name == "manager_request":
        result.figures["baseline keywords"] = score(
            task.metric, truth, [KEYWORDS.search(t) is not None for t in texts]
        )
    else:
        compound = [vader().polarity_scores(t)["compound"] for t in texts]
        result.figures["baseline VADER"] = score(
            task.metric, truth, [c < NEGATIVE_BELOW for c in compound]
        )
        if task.name == "sentiment":
            result.figures["baseline all negative"] = score(task.metric, truth, [True] * len(truth))

    detector = DefaultDetector()
    predicted = [task.predict(detector.analyze(t)) for t in texts]
    result.figures["default (whole half)"] = score(task.metric, truth, predicted)
    result.figures["default (30% part)"] = score(
        task.metric, test_truth, [predicted[i] for i in test_idx]
    )

    train_texts = [texts[i] for i in train_idx]
    train_labels = [labels[i] for i in train_idx]
    if cv:
        started = time.perf_counter()
        for key, value in cross_validate(task, train_texts, train_labels, seed=seed).items():
            result.figures[_figure_name(key, f"{CV_FOLDS}-fold CV in 70% part")] = value
        result.notes.append(f"cross-validation took {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    figures = model_figures(
        task,
        train_texts,
        train_labels,
        [texts[i] for i in test_idx],
        test_truth,
        seed=seed,
        detector=detector,
    )
    for key, value in figures.items():
        result.figures[_figure_name(key, "30% part")] = value
    result.notes.append(f"training and scoring took {time.perf_counter() - started:.1f} s")
    return result


def _figure_name(key: str, where: str) -> str:
    return f"trained, {key} ({where})" if key else f"trained ({where})"


def halves(data: Path, *, seed: int = HALVES_SEED) -> dict[str, tuple[float, float]]:
    """The default detector's figure on each of two stratified halves of every data set.

    Grammar work reads errors on half A only; half B says whether it generalised.
    """
    found: dict[str, tuple[float, float]] = {}
    detector = DefaultDetector()
    for task in TASKS:
        rows = read_rows(data / task.path, task.text_column, task.label_column)
        labels = [label for _, label in rows]
        part_a, part_b = stratified_split(labels, 0.5, seed)
        figures = []
        for part in (part_a, part_b):
            truth = [labels[i] == task.positive for i in part]
            predicted = [task.predict(detector.analyze(rows[i][0])) for i in part]
            figures.append(score(task.metric, truth, predicted))
        found[task.name] = (figures[0], figures[1])
    return found


def throughput(texts: Sequence[str]) -> float:
    """Texts per second of a fresh default detector (its cache starts empty)."""
    detector = DefaultDetector(cache_size=len(texts) + 1)
    detector.analyze("warm up the lexicon")
    started = time.perf_counter()
    for text in texts:
        detector.analyze(text)
    return len(texts) / (time.perf_counter() - started)


def _line(name: str, value: float, goal: float | None = None) -> str:
    mark = ""
    if goal is not None:
        mark = f"  (goal {goal:.2f}: {'met' if value >= goal else 'NOT met'})"
    return f"    {name:<38} {value:.3f}{mark}"


def report(result: Result) -> list[str]:
    """Printable lines of one task's figures."""
    task = result.task
    lines = [
        f"{task.name}: {task.metric} on {task.path} ({result.rows} rows; "
        f"train {result.train_rows} / test {result.test_rows})"
    ]
    for name, value in result.figures.items():
        goal = None
        if name.startswith("default"):
            goal = task.goal_default
        elif name.startswith("trained"):
            goal = task.goal_trained
        lines.append(_line(name, value, goal))
    lines.extend(f"    {note}" for note in result.notes)
    return lines


def evaluate(
    data: Path, *, quick: bool = False, seed: int = SEED, cv: bool = False
) -> list[Result]:
    """Evaluate every task on the data in `data`."""
    return [evaluate_task(task, data, quick=quick, seed=seed, cv=cv) for task in TASKS]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="The shared data folder.")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS} rows per data set, for CI."
    )
    parser.add_argument("--seed", type=int, default=SEED, help="Seed of the split and models.")
    parser.add_argument(
        "--cv",
        action="store_true",
        help=f"Also cross-validate the models ({CV_FOLDS} folds) inside the 70%% parts.",
    )
    parser.add_argument(
        "--halves",
        action="store_true",
        help="Only the default detector, on two stratified halves of each set (A: developed on).",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    data: Path = args.data
    missing = [task.path for task in TASKS if not (data / task.path).is_file()]
    if missing:
        print(f"triage evaluation skipped: {data} lacks {', '.join(missing)}")
        return 0
    started = time.perf_counter()
    if args.halves:
        print(f"Default detector on two stratified halves (seed {HALVES_SEED}): A / B")
        for name, (part_a, part_b) in halves(data).items():
            print(f"    {name:<38} {part_a:.3f} / {part_b:.3f}")
        return 0
    results = evaluate(data, quick=args.quick, seed=args.seed, cv=args.cv)
    size = (
        f"quick sample of {QUICK_ROWS} rows per set" if args.quick else "whole development halves"
    )
    print(f"Trigger detection ({size}; stratified 70/30 split, seed {args.seed})")
    for result in results:
        print()
        print("\n".join(report(result)))
    texts = [
        text
        for task in TASKS
        for text, _ in read_rows(data / task.path, task.text_column, task.label_column)
    ]
    if args.quick:
        texts = random.Random(args.seed).sample(texts, min(len(texts), 2000))
    rate = throughput(texts)
    print()
    print(
        f"default detector throughput: {rate:,.0f} texts/s "
        f"({1e6 / rate:.0f} µs/text over {len(texts)} texts)"
    )
    print(f"evaluation took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
