"""`escalon review`: the weekly escalation review as an HTML file, or mailed to the managers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from escalon.cli.service import fail

if TYPE_CHECKING:
    from escalon.database import Database
    from escalon.learning.review import Week


def review(
    week: Annotated[
        str | None,
        typer.Option("--week", help="An ISO week, e.g. 2026-W49 (default: the last full week)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write the page (default: review-WEEK.html, unless --mail)."
        ),
    ] = None,
    mail: Annotated[
        bool,
        typer.Option(
            "--mail",
            help="Queue the review now for the supervisors and admins who have not had this "
            "week's (the worker sends it).",
        ),
    ] = False,
    again: Annotated[
        bool, typer.Option("--again", help="With --mail: to every manager, even those who had it.")
    ] = False,
) -> None:
    """Write the weekly escalation review: escalations by rule, level and team, root causes and
    the rising ones, the slowest cases, training gaps, lessons, kudos, SLA and CSAT against the
    week before. Links point at the dashboard (ESCALON_PUBLIC_URL)."""
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.composition import open_database
    from escalon.config import get_settings
    from escalon.learning.review import last_full_week, parse_week, weekly_review
    from escalon.web.review_page import render_review

    if again and not mail:
        fail("--again goes with --mail")
    now = SystemClock().now_us()
    try:
        chosen = parse_week(week) if week else last_full_week(now)
    except ValueError as error:
        fail(str(error))
    settings = get_settings()
    # The process's settings in its sessions: the mail's links use ESCALON_PUBLIC_URL too.
    database = open_database(settings, database_ready(settings))
    try:
        if mail:
            _mail(database, chosen, now=now, again=again)
        if out is None and mail:
            return
        with database.read() as session:
            found = weekly_review(session, chosen, now=now)
    finally:
        database.dispose()
    target = out or Path(f"review-{chosen.name}.html")
    try:
        target.write_text(render_review(found, settings.public_url), encoding="utf-8")
    except OSError as error:
        fail(f"{target}: cannot write ({error.strerror or error})")
    typer.echo(
        f"{chosen.label}: {found.escalations} escalations (the week before {found.escalations_before}), "
        f"{len(found.lessons)} lessons, {len(found.kudos.kudos)} kudos; wrote {target}"
    )


def _mail(database: Database, week: Week, *, now: int, again: bool) -> None:
    """Queue the week's review mail and say for whom."""
    from escalon.learning import review_mail
    from escalon.web.review_page import render_review_mail

    queued = review_mail.queue(database, week, now=now, render_html=render_review_mail, again=again)
    if not queued.recipients:
        typer.echo(
            f"{week.name}: nobody to mail (every supervisor and admin with an address has had "
            "it or opted out; --again sends it once more)"
        )
        return
    addresses = ", ".join(someone.address for someone in queued.recipients)
    typer.echo(
        f"{week.name}: queued for {len(queued.recipients)} manager(s): {addresses} "
        "(the worker delivers it)"
    )
