"""`escalon kb`: the knowledge base from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from escalon.cli.service import audit, database_ready, ending_on_refusal, fail, operator

app = typer.Typer(help="The knowledge base: which help articles answer what customers write.")


@app.command()
def suggest(
    kb: Annotated[Path, typer.Option("--kb", help="A folder of Markdown articles (*.md).")],
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="Articles per message.")] = 3,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            help='Customers\' past messages, JSON lines {"text"}: they teach the index how '
            "customers put things (default: the messages read on stdin).",
        ),
    ] = None,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Match on the articles' words alone.")
    ] = False,
) -> None:
    """Read JSON lines {"text": ...} on stdin; write {"articles": [id, ...]} for each, best
    first (an article's id is its file name without .md). A line that is not such an object
    gets {"error": ...}, in its place."""
    from escalon.knowledge.articles import ArticleError, read_folder
    from escalon.knowledge.ranking import ArticleIndex

    try:
        articles = read_folder(kb)
    except ArticleError as error:
        fail(str(error))
    lines = sys.stdin.read().splitlines()
    asked = [_text_of(line) for line in lines]
    texts = [found for found in asked if isinstance(found, str)]
    if no_log:
        history: list[str] = []
    elif log is not None:
        history = _read_log(log)
    else:
        history = texts
    index = ArticleIndex(articles, history)
    answers = iter(index.suggest(texts, top))
    out = sys.stdout
    for found in asked:
        if found is None:
            continue  # a blank line
        if isinstance(found, str):
            answer: dict[str, Any] = {"articles": [article for article, _ in next(answers)]}
        else:
            answer = {"error": found.message}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")


@app.command("import")
def import_folder(
    folder: Annotated[Path, typer.Argument(help="A folder of Markdown articles (*.md).")],
    audience: Annotated[
        str,
        typer.Option(
            "--audience",
            help="Who may read the new articles: public (customers too) or internal (staff). "
            "Articles already in the base keep theirs.",
        ),
    ] = "public",
    archive_missing: Annotated[
        bool,
        typer.Option(
            "--archive-missing", help="Archive the articles in the base that the folder lacks."
        ),
    ] = False,
) -> None:
    """Load a folder of Markdown articles into the knowledge base: new ones added, changed ones
    updated (an article's id is its file name without .md). Nothing is written when any file
    is malformed."""
    from rich.console import Console

    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.knowledge.articles import ArticleError, read_folder
    from escalon.knowledge.service import import_articles

    if audience not in ("public", "internal"):
        fail(f"--audience {audience!r}: choose public or internal")
    try:
        articles = read_folder(folder)
    except ArticleError as error:
        fail(str(error))
    database = database_ready(get_settings())
    with ending_on_refusal(), database.write() as session:
        done = import_articles(
            session,
            articles,
            author=operator(),
            now=SystemClock().now_us(),
            audience=audience,
            archive_missing=archive_missing,
        )
        counts = {name: len(getattr(done, name)) for name in _IMPORT_COUNTS}
        audit(session, "article.imported", f"folder:{folder.name}", counts)
    said = ", ".join(f"{count} {name}" for name, count in counts.items())
    Console(highlight=False, soft_wrap=True).print(f"{folder}: {len(articles)} read; {said}")


_IMPORT_COUNTS = ("created", "updated", "unchanged", "archived")


class _Bad:
    def __init__(self, message: str) -> None:
        self.message = message


def _text_of(line: str) -> str | _Bad | None:
    """A line's text, what is wrong with it, or None for a blank line."""
    if not line.strip():
        return None
    try:
        data = json.loads(line)
    except ValueError as error:
        return _Bad(f"not valid JSON ({error})")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return _Bad('expected an object with "text", a string')
    return str(data["text"])


def _read_log(path: Path) -> list[str]:
    """The texts of a log file of JSON lines; exit 1 naming the first bad line."""
    texts = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                found = _text_of(line)
                if isinstance(found, _Bad):
                    fail(f"{path}:{number}: {found.message}")
                if found is not None:
                    texts.append(found)
    except OSError as error:
        fail(f"{path}: cannot read ({error.strerror or error})")
    return texts
