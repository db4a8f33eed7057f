"""SLA clocks in words: business time where the SLA counts office hours, wall time where it
counts every hour, and never days for business time (a business day has no fixed length)."""

from __future__ import annotations

MINUTE_US = 60 * 1_000_000


def hours_minutes(us: int) -> str:
    """A span in hours and minutes, never days: 26 h 5 min, 3 h, 12 min."""
    minutes = max(us, 0) // MINUTE_US
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def business_target(us: int) -> str:
    """A business-time target: 6 business hours, 1 business hour, 90 -> 1 h 30 min of business
    time, 30 business minutes."""
    minutes = max(us, 0) // MINUTE_US
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min of business time"
    if hours:
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    return f"{rest} business minute{'s' if rest != 1 else ''}"


def business_left(remaining_us: int) -> str:
    """What is left of a business-time clock: `2 h 10 min of business time left`, or how far
    past its target it is."""
    if remaining_us < 0:
        return f"overdue by {hours_minutes(-remaining_us)} of business time"
    return f"{hours_minutes(remaining_us)} of business time left"


def caption(*, business: bool, calendar: str | None, zone: str) -> str:
    """What the clock table counts, and the zone its instants are shown in."""
    if business:
        return (
            f"Targets and time left count business hours (calendar {calendar}); "
            f"due times in {zone}."
        )
    return f"Targets and time left count every hour (wall-clock time); due times in {zone}."


def forecast_class(probability: float) -> str:
    """How the page colours a breach forecast: as the queue colours a deadline."""
    if probability >= 0.7:
        return "due-breach"
    return "due-warning" if probability >= 0.4 else ""


def share(probability: float) -> str:
    """A probability as a page shows it: whole percents, never a rounded certainty."""
    if probability < 0.005:
        return "<1%"  # the API rounds: a 0 there is a chance too small to show, not none
    if 0.995 <= probability < 1.0:
        return ">99%"
    return f"{probability:.0%}"


def forecast_sentence(
    *, probability: float, clock: str, ahead: int, answers: float, due: str, model: bool
) -> str:
    """`72 % likely to miss the first response: 9 cases ahead, about 3 answers before 14:00.`"""
    whose = "" if model else " (the queue alone: no model fitted yet)"
    cases = {0: "no case", 1: "1 case"}.get(ahead, f"{ahead} cases")
    if answers < 0.5:
        answered = "fewer than one answer"
    else:
        answered = f"about {answers:.0f} answer{'' if round(answers) == 1 else 's'}"
    return (
        f"{share(probability)} likely to miss the {clock}: {cases} of the team due first, "
        f"{answered} expected before {due}{whose}."
    )
