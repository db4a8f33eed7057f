"""JSON lines in, JSON lines out: the streaming form of the detector used by `escalon triage`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

from escalon.core import documents
from escalon.core.signals import TextAnalyzer, TextSignals

SENTIMENT_DECIMALS = 4


def parse_line(line: str) -> str | dict[str, str]:
    """The text of one input line, or the error to write in its place."""
    stripped = line.strip()
    if not stripped:
        return {"error": "empty line"}
    try:
        # Bounded: a line nested thousands deep would exhaust the stack (LimitExceeded is a
        # ValueError, so it is reported like any other unreadable line).
        value = documents.load_json(stripped, documents.POLICY)
    except ValueError as error:
        return {"error": f"invalid JSON: {error}"}
    if not isinstance(value, dict):
        return {"error": f"expected a JSON object, got {type(value).__name__}"}
    if "text" not in value:
        return {"error": 'missing "text"'}
    text = value["text"]
    if not isinstance(text, str):
        return {"error": f'"text" must be a string, got {type(text).__name__}'}
    return text


def render(signals: TextSignals, *, with_label: bool) -> str:
    """One output line (without its newline): intents sorted, sentiment rounded, language."""
    out: dict[str, object] = {
        "intents": sorted(signals.intents),
        "sentiment": round(signals.sentiment, SENTIMENT_DECIMALS),
        "language": signals.language,
    }
    if with_label:
        out["label"] = signals.label
        out["score"] = None if signals.score is None else round(signals.score, SENTIMENT_DECIMALS)
    return json.dumps(out)


def _analyze_all(analyzer: TextAnalyzer, texts: Sequence[str]) -> list[TextSignals]:
    many = getattr(analyzer, "analyze_many", None)
    if many is not None:
        result: list[TextSignals] = many(texts)
        return result
    return [analyzer.analyze(text) for text in texts]


def stream(
    lines: Iterable[str],
    analyzer: TextAnalyzer,
    *,
    with_label: bool = False,
    batch_size: int = 1,
) -> Iterator[str]:
    """Answer each input line with one output line, in order, reading a batch at a time."""
    # With `batch_size` 1 every answer is out before the next line is read, which a caller
    # talking to the process line by line needs; larger batches let a model read texts together.
    pending: list[str | dict[str, str]] = []

    def flush() -> Iterator[str]:
        """Answers of the pending lines, in order."""
        texts = [item for item in pending if isinstance(item, str)]
        answers = iter(_analyze_all(analyzer, texts)) if texts else iter(())
        for item in pending:
            if isinstance(item, str):
                yield render(next(answers), with_label=with_label)
            else:
                yield json.dumps(item)
        pending.clear()

    for line in lines:
        pending.append(parse_line(line))
        if len(pending) >= batch_size:
            yield from flush()
    if pending:
        yield from flush()
