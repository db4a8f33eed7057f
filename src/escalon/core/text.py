"""Small text helpers shared by channels and notifications."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def one_line(value: str) -> str:
    """A value safe to store and to send in a header: no line breaks or control characters."""
    return " ".join(_CONTROL.sub(" ", value).split())


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split at `separator` where it is not inside a double-quoted string (whose backslash
    escapes the next character), each part stripped: header fields such as `Forwarded` and
    `Authentication-Results` quote values that may hold the separator."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts
