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
) -> None:
    """Group customers' messages into topics, each named by its distinctive words.

    Writes one JSON line per message, {"id": ..., "topic": N} (0: a message with no word to
    group by), and a summary of the topics, largest first, with typical messages.
    """
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
