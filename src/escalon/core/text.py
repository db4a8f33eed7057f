"""Small text helpers shared by channels and notifications."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def one_line(value: str) -> str:
    """A value safe to store and to send in a header: no line breaks or control characters."""
    return " ".join(_CONTROL.sub(" ", value).split())
