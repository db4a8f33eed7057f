"""Business calendars (placeholder until the calendar lands)."""

from __future__ import annotations


class CalendarError(ValueError):
    """A calendar definition or a calendar argument is invalid."""


class Calendar:
    """A business calendar."""
