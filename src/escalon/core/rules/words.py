"""Small English formatters the rules' sentences and checks share: durations, numbers, lists.

They read plain data defensively: the policy format may grow, and a value of an unexpected shape
is shown as written, never an error.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

SECOND_US = 1_000_000
METRIC_WORDS = {
    "first_response": "first response",
    "next_response": "next response",
    "periodic_update": "periodic update",
    "resolution": "resolution",
}


def span(us: int) -> str:
    """A policy duration as people read it: 45 s, 15 min, 4 h, 1 h 30 min."""
    # No days: most policy durations are business time, where a day has no fixed length.
    seconds = max(us, 0) // SECOND_US
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{value} {unit}"
        for value, unit in ((hours, "h"), (minutes, "min"), (seconds, "s"))
        if value
    ]
    return " ".join(parts) or "0 s"


def number(value: object) -> str:
    """A number without a needless `.0`; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "unlimited" if value > 0 else str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def plain(value: object) -> str:
    """Any policy value as written, for the parts the sentences do not know."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {plain(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(plain(item) for item in value) + "]"
    return number(value)


def names(value: object) -> list[str]:
    """A name or a list of names, as a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return [plain(value)]


def either(items: Iterable[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return _join(list(items), "or")


def by_key(name: str, value: object, phrases: Mapping[str, Callable[[object], str]]) -> str:
    """An action's mapping in English, a phrase per key (a key it has none for, as written)."""
    if not isinstance(value, Mapping) or not value:
        return f"{name}: {plain(value)}"
    return both(
        phrases[key](target) if key in phrases else f"{name} ({key}: {plain(target)})"
        for key, target in value.items()
    )


def both(items: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return _join(list(items), "and")


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def quoted(value: object) -> str:
    """A name the policy chose (a template, a tag, a phrase), set apart in curly quotes."""
    return f"“{value}”"


def metric_name(metric: object) -> str:
    """`first_response` -> `first response`."""
    return METRIC_WORDS.get(str(metric), str(metric).replace("_", " "))


def span_of(value: object) -> str:
    """A duration as checked rules hold it (microseconds), or as written (`30m`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return span(value)
    return plain(value)


def count(n: object, one: str, many: str) -> str:
    """`one` for 1, else `many` with the number in it: `once`, `3 times`."""
    if n == 1:
        return one
    return many.format(number(n))


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close to `word`, else nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def names_of(values: Iterable[str]) -> str:
    """`a, b, c`, or `none`."""
    return ", ".join(values) or "none"


def unknown(what: str, name: str, known: Sequence[str], plural: str) -> str:
    """`unknown level 'x' (did you mean 'y'?); levels: a, b`: a name that is none of `known`."""
    return f"unknown {what} '{name}'{suggest(name, known)}; {plural}: {names_of(known)}"
