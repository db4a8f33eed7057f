"""The process-wide parts the composition roots (API, worker, CLI) build once and hand down."""

from __future__ import annotations

from dataclasses import dataclass

from escalon.clock import Clock
from escalon.config import Settings
from escalon.core.signals import TextAnalyzer
from escalon.database import Database


@dataclass(frozen=True, slots=True)
class Services:
    """The process-wide parts the application was built with."""

    database: Database
    clock: Clock
    settings: Settings
    analyzer: TextAnalyzer
