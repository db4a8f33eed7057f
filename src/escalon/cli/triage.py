"""`escalon triage`: read customer messages as JSON lines, or train a detector model."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO, Annotated

import typer

app = typer.Typer(
    help=(
        "Trigger detection: intents (manager_request, complaint) and sentiment of customer "
        'messages. Without a subcommand, reads JSON lines {"text": ...} on stdin and writes '
        "one JSON line per input line."
    ),
)
# A detector model file, for every command that reads customers' words (the built-in one if unset).
DetectorModel = Annotated[
    Path | None,
    typer.Option(
        "--model", help="A detector model from `escalon triage train` (default: built-in)."
    ),
]


def _stdin() -> IO[str]:
    # Undecodable bytes become U+FFFD so that one bad line does not end the whole stream.
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        return sys.stdin
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    model: DetectorModel = None,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help="Lines read before answering; 1 answers each line at once (request/response).",
        ),
    ] = 64,
) -> None:
    """Detect intents and sentiment in JSON lines read from stdin."""
    if ctx.invoked_subcommand is not None:
        return
    from escalon.triage import ModelError, load_analyzer
    from escalon.triage.io import stream

    try:
        analyzer = load_analyzer(str(model) if model is not None else None)
    except ModelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    out = sys.stdout
    lines = _stdin()
    try:
        for line in stream(lines, analyzer, with_label=model is not None, batch_size=batch_size):
            out.write(line + "\n")
            out.flush()
    finally:
        # Our wrapper must not close the process's stdin when it is collected.
        if lines is not sys.stdin and isinstance(lines, io.TextIOWrapper):
            lines.detach()


@app.command()
def train(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="CSV file with a header row (or JSON lines for --label category or "
            "root_cause); without it, --label category learns from the cases people "
            "categorised in the database, --label root_cause from the cases resolved with a "
            "root-cause code."
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Column holding the message text ('text' for categories)."),
    ] = None,
    label: Annotated[
        str,
        typer.Option(
            "--label",
            help="Column holding the label; 'category' without --intent/--sentiment/--mapping "
            "trains the category classifier instead of a detector.",
        ),
    ] = "",
    out: Annotated[Path, typer.Option("--out", help="Where to write the model file.")] = Path(),
    intent: Annotated[
        list[str] | None,
        typer.Option("--intent", help="LABEL=INTENT, e.g. 1=complaint (repeatable)."),
    ] = None,
    sentiment: Annotated[
        list[str] | None,
        typer.Option("--sentiment", help="LABEL=VALUE in [-1, 1], e.g. negative=-1 (repeatable)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="YAML file with `intents:` and `sentiment:` sections."),
    ] = None,
    c: Annotated[
        float, typer.Option("--c", min=1e-6, help="Inverse regularisation strength.")
    ] = 4.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the classifier.")] = 0,
    sentiment_rule: Annotated[
        str,
        typer.Option(
            "--sentiment-rule",
            help="How mapped labels become a score: 'odds' (signed only when that side is "
            "more likely than not) or 'expected' (the probability-weighted mean).",
        ),
    ] = "odds",
) -> None:
    """Fit a text classifier on a team's own labelled messages and save it."""
    if out == Path():
        raise typer.BadParameter("give --out FILE: where to write the model", param_hint="--out")
    if label in ("category", "root_cause") and not (intent or sentiment or mapping):
        from escalon.cli.triage_category import train_categories

        train_categories(data, text or "text", out, c=c, seed=seed, label=label)
        return
    if data is None or text is None or not label:
        raise typer.BadParameter("a detector learns from DATA with --text and --label columns")
    _train_detector(
        data,
        text,
        label,
        out,
        intents=intent or [],
        sentiment=sentiment or [],
        mapping=mapping,
        c=c,
        seed=seed,
        sentiment_rule=sentiment_rule,
    )


def _train_detector(
    data: Path,
    text: str,
    label: str,
    out: Path,
    *,
    intents: list[str],
    sentiment: list[str],
    mapping: Path | None,
    c: float,
    seed: int,
    sentiment_rule: str,
) -> None:
    """Fit a detector on a CSV file, save it and say what it learned."""
    from escalon.triage.trained import (
        LabelMapping,
        ModelError,
        read_training_csv,
        save_model,
    )
    from escalon.triage.trained import train as fit

    try:
        labels_map = LabelMapping.from_yaml(mapping) if mapping is not None else LabelMapping()
        labels_map = labels_map.merged(LabelMapping.from_options(intents, sentiment))
        rows = read_training_csv(data, text, label)
        model, warnings = fit(
            rows,
            labels_map,
            c=c,
            seed=seed,
            source={"data": data.name, "text_column": text, "label_column": label},
            sentiment_rule=sentiment_rule,
        )
        save_model(model, out)
    except (ModelError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    counts = ", ".join(f"{name}: {n}" for name, n in model.meta["label_counts"].items())
    typer.echo(f"trained on {model.meta['rows']} rows ({rows.skipped} skipped); labels {counts}")
    for name, value in sorted(model.mapping.intents.items()):
        typer.echo(f"  label {name} -> intent {value}")
    for name, number in sorted(model.mapping.sentiment.items()):
        typer.echo(f"  label {name} -> sentiment {number:+g}")
    typer.echo(f"wrote {out}")


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="A model of format 1 or 2 (a pickle).")],
    target: Annotated[Path, typer.Argument(help="Where to write the current model file.")],
    trusted: Annotated[
        bool,
        typer.Option(
            "--i-trained-it",
            help="Confirm the old file is yours: reading a pickle runs code from inside it.",
        ),
    ] = False,
) -> None:
    """Rewrite a pickled model of an earlier Escalon as a current, pickle-free model file."""
    if not trusted:
        typer.echo(
            f"error: {source} is read by unpickling it, which runs any code it holds. Convert "
            "only a model you trained yourself, and say so with --i-trained-it.",
            err=True,
        )
        raise typer.Exit(2)
    from escalon.triage.trained import ModelError, convert_pickled_model

    try:
        model = convert_pickled_model(source, target)
    except (ModelError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"wrote {target}: format {model.meta['converted_from_format']} model with labels "
        f"{', '.join(model.labels)}; it no longer needs to be trusted to be loaded"
    )
