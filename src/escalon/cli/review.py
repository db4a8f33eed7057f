"""`escalon review`: the weekly escalation review as an HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from escalon.cli.service import fail


def review(
    week: Annotated[
        str | None,
        typer.Option("--week", help="An ISO week, e.g. 2026-W49 (default: the last full week)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the page (default: review-WEEK.html)."),
    ] = None,
) -> None:
    """Write the weekly escalation review: escalations by rule, level and team, root causes and
    the rising ones, the slowest cases, training gaps, lessons, kudos, SLA and CSAT against the
    week before. Links point at the dashboard (ESCALON_PUBLIC_URL)."""
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.learning.review import last_full_week, parse_week, weekly_review
    from escalon.web.review_page import render_review

    now = SystemClock().now_us()
    try:
        chosen = parse_week(week) if week else last_full_week(now)
    except ValueError as error:
        fail(str(error))
    settings = get_settings()
    database = database_ready(settings)
    try:
        with database.read() as session:
            found = weekly_review(session, chosen, now=now)
    finally:
        database.dispose()
    base = settings.public_url
    target = out or Path(f"review-{chosen.name}.html")
    try:
        target.write_text(render_review(found, base), encoding="utf-8")
    except OSError as error:
        fail(f"{target}: cannot write ({error.strerror or error})")
    typer.echo(
        f"{chosen.label}: {found.escalations} escalations (the week before {found.escalations_before}), "
        f"{len(found.lessons)} lessons, {len(found.kudos.kudos)} kudos; wrote {target}"
    )
