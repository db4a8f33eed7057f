"""The composition root: what one process (the API, the worker, a command) builds once from its
settings and hands down, instead of each entry point assembling the parts its own way."""

from __future__ import annotations

from escalon.clock import Clock, SystemClock
from escalon.config import Settings
from escalon.database import Database
from escalon.notifications.outbox import customer_messages_from
from escalon.people import staffing
from escalon.services import Services
from escalon.triage.lazy import LazyAnalyzer


def build_services(
    settings: Settings, *, database: Database | None = None, clock: Clock | None = None
) -> Services:
    """The process's database, clock and text analyzer, with the settings the domains keep for
    the whole process (team make-up caching, customer messages) applied."""
    # Still process-wide state in those modules; set here, in one place, for every entry point.
    staffing.configure(settings.roster_cache_seconds)
    customer_messages_from(settings)
    return Services(
        database=database or Database(settings.database_url),
        clock=clock or SystemClock(),
        settings=settings,
        analyzer=LazyAnalyzer.from_settings(settings),
    )
