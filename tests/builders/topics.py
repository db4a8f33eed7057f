"""Escalated cases on four recurring themes, some six weeks ago and some now, for topic runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.builders.causes import escalated_case
from tests.builders.workspace import Workspace

# Each theme's ways of saying it: a case says two of them, so no two cases read the same.
THEMES = {
    "refund": (
        "Refund the double charge on my credit card",
        "I was charged twice, please refund the duplicate payment",
        "Duplicate charge on my card statement, I want a refund",
    ),
    "password": (
        "Password reset email never arrives",
        "Cannot log in, the password reset link is broken",
        "Locked out of my account after a password reset",
    ),
    "parcel": (
        "Parcel never delivered, tracking is stuck",
        "My parcel is late, the courier lost the tracking",
        "Tracking says delivered but no parcel arrived",
    ),
    "crash": (
        "The mobile app crashes on startup",
        "App crash whenever I open the camera screen",
        "The android app keeps crashing after the update",
    ),
}
# Cases six weeks before the run, and in the run's last four weeks ("this period"): parcel is
# new, crash grows (one case before, eight now), refund holds, password is gone.
BEFORE = {"refund": 6, "password": 6, "crash": 1}
NOW = {"refund": 6, "parcel": 5, "crash": 8}
WEEKS_APART = 6


@dataclass
class Themed:
    """The ids of each theme's escalated cases, before the period and in it."""

    before: dict[str, list[int]] = field(default_factory=dict)
    now: dict[str, list[int]] = field(default_factory=dict)

    def of(self, theme: str) -> set[int]:
        """Every case of a theme."""
        return {*self.before.get(theme, []), *self.now.get(theme, [])}


def themed_case(ws: Workspace, theme: str, number: int) -> int:
    """An escalated case whose customer says two of the theme's sentences."""
    said = THEMES[theme]
    return escalated_case(
        ws, subject=said[number % 3], body=f"{said[(number + 1) % 3]}. Order {number}."
    )


def escalated_themes(ws: Workspace, before: dict[str, int] = BEFORE) -> Themed:
    """Cases of `before` now, then (six weeks later, the clock moved on) the cases of `NOW`."""
    found = Themed()
    for theme, count in before.items():
        found.before[theme] = [themed_case(ws, theme, n) for n in range(count)]
    ws.clock.advance(hours=WEEKS_APART * 7 * 24)
    for theme, count in NOW.items():
        found.now[theme] = [themed_case(ws, theme, n + 10) for n in range(count)]
    return found
