"""`escalon topics`: customers' messages grouped into recurring topics."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from escalon.cli.service import fail


def topics(
    source: Annotated[
        Path | None,
        typer.Argument(
            help='JSON lines of {"id", "text"} or case events (replay format); '
            "default: the customers' messages in the database.",
            show_default=False,
        ),
    ] = None,
    count: Annotated[
        int, typer.Option("--topics", min=1, max=200, help="How many topics at most.")
    ] = 10,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write one line per message here (default: standard output)."),
    ] = None,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Also write the topics here (JSON).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The same seed, the same topics.")] = 0,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Group the escalated cases of the database (one text per case) and store the "
            "run for the numbers page and GET /api/v1/topics.",
        ),
    ] = False,
    weeks: Annotated[
        int,
        typer.Option(
            "--weeks",
            min=5,
            max=104,
            help="With --store: the escalated cases opened in these weeks.",
        ),
    ] = 12,
) -> None:
    """Group customers' messages into topics, each named by its distinctive words.

    Writes one JSON line per message, {"id": ..., "topic": N} (0: a message with no word to
    group by), and a summary of the topics, largest first, with typical messages. With --store,
    groups the escalated cases of the last weeks instead and stores the run.
    """
    if store:
        if source is not None or out is not None or summary is not None:
            fail("--store reads the database and writes the run there: no FILE, --out or --summary")
        _store(count, seed, weeks)
        return
    from escalon.learning.sources import SourceError, read_file
    from escalon.learning.topics import find_topics

    try:
        messages = read_file(source) if source is not None else _from_database()
    except SourceError as error:
        fail(str(error))
    if not messages:
        fail("no customer messages to group")
    found = find_topics([message.text for message in messages], count, seed)
    lines = (
        json.dumps(_line(message, topic), ensure_ascii=False) + "\n"
        for message, topic in zip(messages, found.assigned, strict=True)
    )
    described = [_described(topic, messages) for topic in found.topics]
    if out is None:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
    else:
        _write_whole(out, lines)
    if summary is not None:
        _write_whole(summary, [json.dumps({"topics": described}, ensure_ascii=False, indent=2)])
    console = Console(stderr=out is None, highlight=False, soft_wrap=out is None)
    _show(console, described, len(messages), found.assigned.count(0))


def _line(message: Any, topic: int) -> dict[str, Any]:
    line: dict[str, Any] = {"id": message.id, "topic": topic}
    if message.case is not None:
        line["case"] = message.case
    return line


def _described(topic: Any, messages: list[Any]) -> dict[str, Any]:
    return {
        "topic": topic.number,
        "name": topic.name,
        "words": list(topic.words),
        "messages": topic.size,
        "samples": [
            {"id": messages[index].id, "text": messages[index].text[:300]}
            for index in topic.samples
        ],
    }


def _write_whole(path: Path, chunks: Any) -> None:
    """Write a file completely or not at all: a failed run leaves any earlier file as it was."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as error:
        fail(f"{path}: cannot write ({error.strerror or error})")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            written.writelines(chunks)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        fail(f"{path}: cannot write ({error.strerror or error})")


def _show(console: Console, described: list[dict[str, Any]], total: int, wordless: int) -> None:
    table = Table(title=f"{len(described)} topics in {total:,} messages", title_justify="left")
    table.add_column("topic", justify="right")
    table.add_column("messages", justify="right")
    table.add_column("distinctive words")
    table.add_column("a typical message", overflow="fold")
    for topic in described:
        sample = topic["samples"][0]["text"] if topic["samples"] else ""
        table.add_row(
            str(topic["topic"]),
            f"{topic['messages']:,}",
            topic["name"],
            " ".join(sample.split())[:120],
        )
    console.print(table)
    if wordless:
        console.print(f"{wordless:,} messages had no word to group by (topic 0).")


def _from_database() -> list[Any]:
    """The customers' messages in the configured database."""
    from escalon.cli.service import database_ready
    from escalon.config import get_settings
    from escalon.learning.sources import from_database

    database = database_ready(get_settings())
    try:
        with database.read() as session:
            return from_database(session)
    finally:
        database.dispose()


def _store(count: int, seed: int, weeks: int) -> None:
    """Find the topics of the escalated cases now and store the run."""
    from escalon.cases import visibility
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.core.state import from_us
    from escalon.learning import topic_runs

    database = database_ready(get_settings())
    try:
        stored = topic_runs.store_now(
            database, clock=SystemClock(), weeks=weeks, count=count, seed=seed
        )
        with database.read() as session:
            found = topic_runs.latest(session, scope=visibility.EVERYTHING, run_id=stored.run_id)
    except topic_runs.NoEscalatedCases:
        fail(f"no escalated case was opened in the last {weeks} weeks: nothing to group")
    finally:
        database.dispose()
    console = Console(highlight=False)
    table = Table(
        title=f"Run {stored.run_id}: {stored.topics} topics in {stored.cases:,} escalated cases",
        title_justify="left",
    )
    for heading in ("topic", "this period", "before", "distinctive words"):
        table.add_column(heading, justify="left" if heading == "distinctive words" else "right")
    for topic in found.topics if found is not None else ():
        mark = " (new)" if topic.new else " (growing)" if topic.growing else ""
        table.add_row(
            str(topic.number), str(topic.period_cases), str(topic.earlier_cases), topic.name + mark
        )
    console.print(table)
    if found is not None:
        console.print(
            f"This period: cases opened from {from_us(found.window.cut):%Y-%m-%d}; stored for the "
            "numbers page."
        )
