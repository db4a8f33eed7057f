"""Durations (`45s`, `15m`, `1h30m`) and fractions (`75%`, `0.75`) as policies write them."""

from __future__ import annotations

import re

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_DAYS = re.compile(r"\d+\s*(d|days?|w|weeks?)\b", re.IGNORECASE)


def parse_duration(value: object) -> int:
    """Read a policy duration into microseconds; raise ValueError saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{value!r} has no unit: write it with h, m or s, e.g. '{value}m'")
        raise ValueError(f"expected a duration such as '15m' or '1h30m', got {value!r}")
    text = value.strip()
    if _DAYS.search(text):
        raise ValueError(
            f"{value!r}: days and weeks are not units because a business day has no fixed "
            "length; write hours instead, e.g. '24h'"
        )
    match = _DURATION.fullmatch(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"{value!r} is not a duration: use h, m and s, e.g. '45s', '15m', '1h30m'")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    total = hours * US_PER_HOUR + minutes * US_PER_MINUTE + seconds * US_PER_SECOND
    if total <= 0:
        raise ValueError(f"{value!r} is zero: a duration must be longer than that")
    return total


def format_duration(us: int) -> str:
    """Write microseconds back in the policy's notation (`1h30m`)."""
    if us == 0:
        return "0s"
    sign = "-" if us < 0 else ""
    seconds = abs(us) // US_PER_SECOND
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{seconds}s" if seconds else "",
    ]
    return sign + ("".join(parts) or "0s")


def parse_fraction(value: object) -> float:
    """Read `75%` or `0.75` into a fraction in (0, 1]; raise ValueError saying what is wrong."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip()[:-1].strip()
        try:
            fraction = float(number) / 100
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage such as '75%'") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if value > 1:
            raise ValueError(f"{value!r} is ambiguous: write '{value}%' or a fraction such as 0.75")
        fraction = float(value)
    else:
        raise ValueError(
            f"expected a percentage such as '75%' or a fraction such as 0.75, got {value!r}"
        )
    if not 0 < fraction <= 1:
        raise ValueError(f"{value!r} must be above 0% and at most 100%")
    return fraction
