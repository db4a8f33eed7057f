"""The composition root: what one process (the API, the worker, a command) builds once from its
settings and hands down, instead of each entry point assembling the parts its own way."""

from __future__ import annotations

from escalon.clock import Clock, SystemClock
from escalon.config import Settings
from escalon.database import Database
from escalon.forecast.breach import BreachCache
from escalon.forecast.staffing import Assumptions
from escalon.knowledge.matching import ArticleIndexes
from escalon.notifications.outbox import CustomerMessages
from escalon.people.staffing import TeamMakeUps
from escalon.services import Services
from escalon.triage.lazy import LazyAnalyzer


def open_database(settings: Settings, database: Database | None = None) -> Database:
    """The process's database, whose sessions carry the settings domains read per transaction:
    the messages customers get by themselves, how long a team's make-up is trusted, and the
    knowledge base's index, built once while the articles stay the same, and the breach
    forecast's paces and model, worked out at most hourly."""
    database = database or Database(settings.database_url)
    CustomerMessages.from_settings(settings).install(database.info)
    TeamMakeUps(settings.roster_cache_seconds).install(database.info)
    ArticleIndexes().install(database.info)
    Assumptions(settings.staffing_handle_seconds).install(database.info)
    BreachCache().install(database.info)
    return database


def build_services(
    settings: Settings, *, database: Database | None = None, clock: Clock | None = None
) -> Services:
    """The process's database (see `open_database`), clock and text analyzer."""
    return Services(
        database=open_database(settings, database),
        clock=clock or SystemClock(),
        settings=settings,
        analyzer=LazyAnalyzer.from_settings(settings),
    )
