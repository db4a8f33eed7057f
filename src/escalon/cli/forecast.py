"""`escalon forecast`: what a queue needs, worked out from its figures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from escalon.cli.service import fail
from escalon.core.forecast.erlang import StaffingAnswer, StaffingError, agents_needed
from escalon.core.policy import PolicyInvalid
from escalon.errors import Invalid
from escalon.forecast.staffing import read_seconds, staffing_goal

app = typer.Typer(
    help="Forecasts: the people a queue needs, and which clocks will breach.", no_args_is_help=True
)


@app.command("staffing")
def staffing(
    arrivals: Annotated[
        float, typer.Option("--arrivals", min=0, help="Cases arriving in one interval.")
    ],
    interval: Annotated[str, typer.Option("--interval", help="The interval, e.g. 30m or 1h.")],
    handle: Annotated[
        str, typer.Option("--handle", help="Average handle time of a case, e.g. 3m or 180s.")
    ],
    target: Annotated[str, typer.Option("--target", help="Answered within this, e.g. 20s or 1h.")],
    goal: Annotated[
        str, typer.Option("--goal", help="The share to answer within the target: 0.8 or 80%.")
    ],
    shrinkage: Annotated[
        str,
        typer.Option(
            "--shrinkage",
            help="Share of rostered time away from the queue (breaks, meetings, absence).",
        ),
    ] = "0",
    occupancy: Annotated[
        str,
        typer.Option("--occupancy", help="Keep agents at most this busy: 0.85 or 85%."),
    ] = "100%",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The agents one interval needs to answer GOAL of its arrivals within TARGET (Erlang C).

    With --json: {"agents": ..., "service_level": ...}, where agents is the number to roster
    (shrinkage included) and service_level the share those agents answer within the target,
    with the other figures beside them.
    """
    try:
        wanted = staffing_goal(
            None, target=target, goal=goal, shrinkage=shrinkage, occupancy=occupancy
        )
        answer = agents_needed(
            arrivals=arrivals,
            interval_seconds=read_seconds("interval", interval),
            handle_seconds=read_seconds("handle", handle),
            target_seconds=wanted.target_seconds,
            goal=wanted.goal,
            shrinkage=wanted.shrinkage,
            max_occupancy=wanted.max_occupancy,
        )
    except (Invalid, StaffingError) as error:
        fail(f"--{error}" if isinstance(error, Invalid) else str(error))
    if as_json:
        typer.echo(json.dumps(as_dict(answer)))
        return
    _print(answer, target)


def as_dict(answer: StaffingAnswer) -> dict[str, float | int | None]:
    """The answer as JSON: agents and service level first, every figure rounded for reading."""
    wait = answer.average_wait_seconds
    return {
        "agents": answer.agents,
        "service_level": round(answer.service_level, 4),
        "on_duty": answer.on_duty,
        "wait_probability": round(answer.wait_probability, 4),
        "average_wait_seconds": None if math.isinf(wait) else round(wait, 1),
        "occupancy": round(answer.occupancy, 4),
        "load_erlangs": round(answer.load, 3),
    }


def _print(answer: StaffingAnswer, target: str) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("Agents to roster", f"[bold]{answer.agents}[/bold]")
    table.add_row("On duty at once", str(answer.on_duty))
    table.add_row(f"Answered within {target}", f"{answer.service_level:.1%}")
    table.add_row("Wait at all", f"{answer.wait_probability:.1%}")
    table.add_row("Average wait", f"{answer.average_wait_seconds:,.1f} s")
    table.add_row("Occupancy", f"{answer.occupancy:.1%}")
    table.add_row("Load", f"{answer.load:,.2f} erlangs (agents kept busy on average)")
    Console(highlight=False).print(table)


@app.command("breach")
def breach(
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Case events (the replay format) to learn from; default: the database's "
            "history, and the model is stored there.",
        ),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="With --events: the policy they run under.")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=7, help="Without --events: the days of history to read.")
    ] = 90,
    later: Annotated[
        float,
        typer.Option(
            "--later", min=0.05, max=0.9, help="The share of the span kept to judge the model."
        ),
    ] = 0.3,
    out: Annotated[
        Path | None, typer.Option("--out", help="With --events: write the model here (JSON).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The evaluation as JSON.")] = False,
) -> None:
    """Fit the breach forecast on a history and judge it on the history's later part.

    The history is replayed with the forecast looking at every running clock; the earlier looks
    teach a logistic model, the later ones judge it against "priority alone" and "a fixed
    warning at 75 %" (AUC, Brier score, reliability table).
    """
    from escalon.forecast.breach_training import TooLittleHistory, train_and_judge

    if events is not None:
        if policy is None:
            fail("--events needs --policy: the policy the history is replayed under")
        text = _read_text(policy)
        lines = [line for line in _read_text(events).splitlines() if line.strip()]
        try:
            model, report = train_and_judge(text, lines, later_share=later)
        except TooLittleHistory as error:
            fail(str(error))
        except PolicyInvalid as error:
            fail(f"{policy}: {error}")
        if out is not None:
            out.write_text(json.dumps(model.to_data(), indent=2) + "\n", encoding="utf-8")
        stored = None
    else:
        if policy is not None or out is not None:
            fail("--policy and --out go with --events; without it the database's history is read")
        report, stored = _train_stored(days)
    if as_json:
        print(json.dumps({**report, "stored_model": stored}, indent=2))
        return
    _print_evaluation(report, stored)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})")


def _train_stored(days: int) -> tuple[dict[str, Any], int]:
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.forecast import breach as breach_forecast
    from escalon.forecast.breach_training import TooLittleHistory

    database = database_ready(get_settings())
    try:
        with database.write() as session:
            trained = breach_forecast.train_from_history(
                session, now=SystemClock().now_us(), days=days
            )
    except TooLittleHistory as error:
        fail(str(error))
    finally:
        database.dispose()
    return trained.report, trained.model_id


def _print_evaluation(report: dict[str, Any], stored: int | None) -> None:
    console = Console(highlight=False)
    table = Table(
        title=f"Judged on {report['looks']:,} later looks ({report['breached']:,} breached), "
        f"fitted on {report['earlier_looks']:,} earlier ones",
        title_justify="left",
    )
    for heading in ("forecast", "AUC", "Brier"):
        table.add_column(heading, justify="left" if heading == "forecast" else "right")
    for name, figures in report["methods"].items():
        auc = figures["auc"]
        table.add_row(
            name.replace("_", " "),
            "n/a" if auc is None else f"{auc:.3f}",
            f"{figures['brier']:.4f}",
        )
    console.print(table)
    reliability = Table(title="Reliability of the model", title_justify="left")
    for heading in ("forecast", "looks", "mean forecast", "share breached"):
        reliability.add_column(heading, justify="right")
    for row in report["reliability"]:
        reliability.add_row(
            f"{row['from']:.0%}-{row['to']:.0%}",
            f"{row['count']:,}",
            f"{row['forecast']:.1%}",
            f"{row['observed']:.1%}",
        )
    console.print(reliability)
    if stored is not None:
        console.print(f"Stored as breach model {stored}: the forecast uses it from now on.")
