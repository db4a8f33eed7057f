"""`escalon triage train --label category`: a category classifier from the database or a file."""

from __future__ import annotations

from pathlib import Path

import typer


def train_categories(data: Path | None, text: str, out: Path, *, c: float, seed: int) -> None:
    """Fit the category classifier and write its model file; exit 1 on bad data."""
    from escalon.triage.category import read_labelled, save_category_model, train_categories
    from escalon.triage.trained import ModelError, TrainingData

    try:
        if data is None:
            texts, labels = _from_database()
            rows = TrainingData(texts=texts, labels=labels, skipped=0)
            source = {"data": "database"}
        else:
            rows = read_labelled(data, text, "category")
            source = {"data": data.name, "text_column": text, "label_column": "category"}
        model = train_categories(rows, c=c, seed=seed, source=source)
        save_category_model(model, out)
    except ModelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    counts = ", ".join(f"{name}: {n}" for name, n in model.meta["label_counts"].items())
    typer.echo(
        f"trained on {model.meta['rows']} cases ({rows.skipped} skipped); categories {counts}"
    )
    typer.echo(f"wrote {out}; set ESCALON_CATEGORY_MODEL={out} to use it at intake")


def _from_database() -> tuple[list[str], list[str]]:
    """The cases whose category a person set, from the configured database."""
    from escalon.cases.categories import labelled_cases
    from escalon.cli.service import database_ready
    from escalon.config import get_settings

    database = database_ready(get_settings())
    try:
        with database.read() as session:
            return labelled_cases(session)
    finally:
        database.dispose()
