"""`escalon triage train --label category|root_cause`: a classifier of a case's category or
root cause, from the database or a file."""

from __future__ import annotations

from pathlib import Path

import typer

# What each label is learnt from in the database, and the setting that puts its model to use.
_LEARNT = {
    "category": ("the cases people categorised", "ESCALON_CATEGORY_MODEL", "at intake"),
    "root_cause": (
        "the cases resolved with a root-cause code",
        "ESCALON_ROOT_CAUSE_MODEL",
        "as the case page's suggestion at resolution",
    ),
}


def train_categories(
    data: Path | None, text: str, out: Path, *, c: float, seed: int, label: str = "category"
) -> None:
    """Fit the classifier for `label` and write its model file; exit 1 on bad data."""
    from escalon.triage.category import read_labelled, save_category_model, train_categories
    from escalon.triage.trained import ModelError, TrainingData

    learnt_from, setting, use = _LEARNT[label]
    try:
        if data is None:
            texts, labels = _from_database(label)
            rows = TrainingData(texts=texts, labels=labels, skipped=0)
            source = {"data": "database"}
            if label != "category":
                source["label"] = label
        else:
            rows = read_labelled(data, text, label)
            source = {"data": data.name, "text_column": text, "label_column": label}
        model = train_categories(rows, c=c, seed=seed, source=source)
        save_category_model(model, out)
    except ModelError as error:
        typer.echo(f"error: {error}", err=True)
        if data is None:
            typer.echo(f"(learning from {learnt_from} in the database)", err=True)
        raise typer.Exit(1) from None
    counts = ", ".join(f"{name}: {n}" for name, n in model.meta["label_counts"].items())
    what = "categories" if label == "category" else "root causes"
    typer.echo(f"trained on {model.meta['rows']} cases ({rows.skipped} skipped); {what} {counts}")
    typer.echo(f"wrote {out}; set {setting}={out} to use it {use}")


def _from_database(label: str) -> tuple[list[str], list[str]]:
    """Texts and labels from the configured database."""
    from escalon.cases.categories import labelled_cases
    from escalon.cases.root_causes import labelled_causes
    from escalon.cli.service import database_ready
    from escalon.config import get_settings

    database = database_ready(get_settings())
    try:
        with database.read() as session:
            return labelled_cases(session) if label == "category" else labelled_causes(session)
    finally:
        database.dispose()
