"""The case page's "whose time" section: the running OLA and the time per team, level, party."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from escalon.cases.schemas import AttributionOut, OlaOut
from escalon.core.state import to_us
from escalon.web.common import countdown, duration
from escalon.web.timeline import when

US = 1_000_000
PARTY_WORDS = {
    "ours": "our move",
    "customer": "the customer's move",
    "third_party": "a third party's move",
}


@dataclass(frozen=True, slots=True)
class OlaRow:
    """The case's latest OLA cycle as the page shows it."""

    team: str
    target: str
    state: str
    due: str
    due_iso: str
    countdown: str
    css: str


@dataclass(frozen=True, slots=True)
class TimeRow:
    """Time with one team, at one level, or of one party, with its share of the whole."""

    kind: str  # "team", "level" or "party"
    name: str
    spent: str
    share: str


def ola_row(ola: OlaOut | None, now: int, zone: tzinfo) -> OlaRow | None:
    """The OLA line: its team, target, state and the deadline while it runs."""
    if ola is None:
        return None
    if ola.breached:
        state = "missed" if ola.running else "breached"
    elif not ola.running:
        state = ola.outcome or "stopped"
    elif ola.paused:
        state = "paused"
    else:
        state = "running"
    due_us = None if ola.due_at is None else to_us(ola.due_at)
    warning_us = None if ola.warning_at is None else to_us(ola.warning_at)
    live = ola.running and not ola.paused
    text, css = countdown(due_us, now, warning_us) if live else ("—", "")
    if ola.breached:
        css = "due-breach"
    due, due_iso = ("—", "") if due_us is None else when(due_us, zone)
    target = "—" if ola.target_seconds is None else duration(round(ola.target_seconds * US))
    return OlaRow(ola.team, target, state, due, due_iso, text, css)


def time_rows(attribution: AttributionOut | None) -> tuple[TimeRow, ...]:
    """Time per party, then per team, then per level, each with its share of the whole."""
    if attribution is None or attribution.elapsed_seconds <= 0:
        return ()
    whole = attribution.elapsed_seconds

    def row(kind: str, name: str, seconds: float) -> TimeRow:
        # Seconds of a third party's wait are not "0 min" beside a share above nothing.
        spent = "under 1 min" if 0 < seconds < 60 else duration(round(seconds * US))
        return TimeRow(kind, name, spent, f"{seconds / whole:.0%}")

    return (
        *(
            row("party", PARTY_WORDS.get(party, party), seconds)
            for party, seconds in attribution.parties.items()
            if seconds > 0
        ),
        *(row("team", team, seconds) for team, seconds in attribution.teams.items()),
        *(row("level", level, seconds) for level, seconds in attribution.levels.items()),
    )
