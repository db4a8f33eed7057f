"""`escalon risk`: the escalation-risk model, fitted on the team's own history."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from escalon.cli.service import fail

app = typer.Typer(help="Escalation risk at intake: fit and judge the model.", no_args_is_help=True)


@app.command("train")
def train(
    weeks: Annotated[
        int,
        typer.Option("--weeks", min=2, max=104, help="Learn from the cases opened in these weeks."),
    ] = 26,
    test_share: Annotated[
        float,
        typer.Option(
            "--test-share",
            min=0.05,
            max=0.5,
            help="The newest share of the cases, by opening time, to judge the model on.",
        ),
    ] = 0.25,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Fit the model now, store it, re-score the open cases and print how it did on the later
    window (AUC, Brier, reliability) next to the base rate and the priority alone.

    Exits with status 1, saying why, when the history is too short to trust a model.
    """
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.composition import open_database
    from escalon.config import get_settings
    from escalon.forecast import risk
    from escalon.triage.lazy import LazyAnalyzer

    settings = get_settings()
    database = open_database(settings, database_ready(settings))
    try:
        done = risk.train_now(
            database,
            clock=SystemClock(),
            analyzer=LazyAnalyzer.from_settings(settings),
            weeks=weeks,
            test_share=test_share,
        )
    finally:
        database.dispose()
    if done.trained is None:
        if as_json:
            typer.echo(json.dumps({"run": done.run_id, "model": None, "note": done.note}))
        fail(f"no model: {done.note}")
    answer = {
        "run": done.run_id,
        "cases": done.trained.cases,
        "escalated": done.trained.escalated,
        "rescored_open_cases": done.rescored,
        "evaluation": done.trained.evaluation,
        "largest_weights": _largest(dict(done.trained.model.weights)),
    }
    if as_json:
        typer.echo(json.dumps(answer))
        return
    _print(answer)


def _largest(weights: dict[str, float], count: int = 10) -> dict[str, float]:
    ranked = sorted(weights.items(), key=lambda item: -abs(item[1]))[:count]
    return {name: round(value, 3) for name, value in ranked}


def _figure(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print(answer: dict[str, Any]) -> None:
    console = Console(highlight=False)
    judged = answer["evaluation"]
    console.print(
        f"Model {answer['run']}: fitted on {answer['cases']:,} cases with a known outcome "
        f"({answer['escalated']:,} escalated); {answer['rescored_open_cases']:,} open cases "
        "re-scored."
    )
    console.print(
        f"Judged on the later window {judged['test_from']} to {judged['test_until']}: "
        f"{judged['test_cases']:,} cases, {judged['test_escalated']:,} escalated (learnt from "
        f"the {judged['train_cases']:,} before)."
    )
    figures = Table(title="On the later window", title_justify="left")
    for heading in ("", "AUC (higher is better)", "Brier (lower is better)"):
        figures.add_column(heading, justify="left" if not heading else "right")
    rows = (
        ("this model", judged["model"]),
        ("base rate", judged["baselines"]["base_rate"]),
        ("priority alone", judged["baselines"]["priority"]),
    )
    for name, found in rows:
        figures.add_row(name, _figure(found["auc"]), _figure(found["brier"]))
    console.print(figures)
    table = Table(title="Reliability: said against seen", title_justify="left")
    for heading in ("probability", "cases", "mean said", "share escalated"):
        table.add_column(heading, justify="right")
    for row in judged["reliability"]:
        table.add_row(
            f"{row['low']:.1f}-{row['high']:.1f}",
            f"{row['cases']:,}",
            f"{row['predicted']:.3f}",
            f"{row['observed']:.3f}",
        )
    console.print(table)
    weights = Table(title="Largest weights (log-odds)", title_justify="left")
    weights.add_column("feature")
    weights.add_column("weight", justify="right")
    for name, value in answer["largest_weights"].items():
        weights.add_row(name, f"{value:+.3f}")
    console.print(weights)
