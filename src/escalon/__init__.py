"""Escalon: escalation management for customer support teams."""

from __future__ import annotations

from escalon.core.calendar import Calendar, CalendarError

__all__ = ["Calendar", "CalendarError", "__version__"]
__version__ = "0.1.0"
