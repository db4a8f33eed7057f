"""The `escalon` command line."""

from __future__ import annotations

import typer

from escalon.cli import calendar as calendar_cli

app = typer.Typer(
    name="escalon",
    help="Escalon: escalation management for customer support teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(calendar_cli.app, name="calendar")


def main() -> None:
    """Run the `escalon` command line."""
    app()
