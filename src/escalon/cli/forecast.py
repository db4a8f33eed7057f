"""`escalon forecast`: what a queue needs, worked out from its figures."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from escalon.cli.service import fail
from escalon.core.forecast.erlang import StaffingAnswer, StaffingError, agents_needed
from escalon.errors import Invalid
from escalon.forecast.staffing import read_seconds, staffing_goal

app = typer.Typer(help="Forecasts: the people a queue needs.", no_args_is_help=True)


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
