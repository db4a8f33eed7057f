"""`escalon calendar`: business-time arithmetic from the command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="Business calendars: deadlines and business time.", no_args_is_help=True)
