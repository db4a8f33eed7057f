"""`escalon audit`: the admin audit trail on the command line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from escalon.config import get_settings

app = typer.Typer(help="The admin audit trail (users, tokens, policies, webhooks...).")


@app.command("list")
def audit_list(
    subject: Annotated[str | None, typer.Option(help="user, token, policy, webhook...")] = None,
    action: Annotated[str | None, typer.Option(help="One action, e.g. user.disabled.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only changes by this user.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Administrative changes, newest first."""
    from escalon.admin_audit import service
    from escalon.admin_audit.service import ACTIONS
    from escalon.cli.service import database_ready, ending_on_refusal
    from escalon.core.state import from_us

    database = database_ready(get_settings())
    with ending_on_refusal(), database.read() as session:
        rows = service.entries(session, subject=subject, action=action, actor=actor, limit=limit)
    if as_json:
        for row in rows:
            print(
                json.dumps(
                    {
                        "id": row.id,
                        "at": from_us(row.at).isoformat(),
                        "actor": row.actor,
                        "via": row.via,
                        "action": row.action,
                        "target": row.target,
                        "data": row.data,
                    },
                    sort_keys=True,
                )
            )
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("at (UTC)", no_wrap=True, min_width=16)
    table.add_column("who", min_width=10)
    table.add_column("action", no_wrap=True, min_width=max(len(a) for a in ACTIONS))
    table.add_column("target", min_width=10)
    table.add_column("details", overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            from_us(row.at).strftime("%Y-%m-%d %H:%M"),
            f"{row.actor} ({row.via})",
            row.action,
            row.target,
            _details(row.data),
        )
    Console(highlight=False).print(table)


def _details(data: dict[str, Any] | None) -> str:
    """An entry's data on one line: `role=agent, agent=ana`."""
    if not data:
        return ""
    return ", ".join(
        f"{name}={value if isinstance(value, str | int | float) else json.dumps(value)}"
        for name, value in data.items()
    )
