"""The state of one case as the engine sees it: plain data, instants in UTC microseconds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = EPOCH.toordinal()

CLOCK_METRICS = ("first_response", "next_response", "periodic_update", "resolution")
STOPPED_STATUSES = frozenset({"resolved", "closed"})


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset: the engine needs aware instants")
    # Field arithmetic: cheaper than subtracting datetimes, which asks the zone twice.
    seconds = (
        (moment.toordinal() - _EPOCH_ORDINAL) * 86400
        + moment.hour * 3600
        + moment.minute * 60
        + moment.second
        - offset.days * 86400
        - offset.seconds
    )
    return seconds * 1_000_000 + moment.microsecond - offset.microseconds


def from_us(us: int) -> datetime:
    """Microseconds since the Unix epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=us)


# Builds NamedTuples without the Python-level constructor NamedTuple adds: cycles, tallies and
# clock events are made on every event, so this is a hot path.
new_tuple = tuple.__new__


class Cycle(NamedTuple):
    """One run of an SLA clock, from its start until it is met or ends (immutable)."""

    metric: str
    number: int
    started_at: int
    ended_at: int | None = None
    outcome: str | None = None  # "met", "ended", "breached" or "untracked" once over
    warned_at: int | None = None
    breached_at: int | None = None

    @property
    def running(self) -> bool:
        """True until the cycle is met or ended."""
        return self.ended_at is None

    @staticmethod
    def start(metric: str, number: int, at: int) -> Cycle:
        """A new cycle started at `at`."""
        return new_tuple(Cycle, (metric, number, at, None, None, None, None))

    def ending(self, at: int, outcome: str) -> Cycle:
        """This cycle, ended at `at`."""
        metric, number, started_at, _, _, warned_at, breached_at = self
        return new_tuple(Cycle, (metric, number, started_at, at, outcome, warned_at, breached_at))

    def warning(self, at: int) -> Cycle:
        """This cycle, with its warning instant passed at `at`."""
        metric, number, started_at, ended_at, outcome, _, breached_at = self
        return new_tuple(Cycle, (metric, number, started_at, ended_at, outcome, at, breached_at))

    def breaching(self, at: int) -> Cycle:
        """This cycle, with its due instant passed at `at`."""
        metric, number, started_at, ended_at, outcome, warned_at, _ = self
        return new_tuple(Cycle, (metric, number, started_at, ended_at, outcome, warned_at, at))


class ClockTally(NamedTuple):
    """How a metric's cycles ended so far on one case."""

    met: int = 0
    breached: int = 0
    ended: int = 0
    untracked: int = 0


# Field metadata: a mapping the engine changes in place (a copy needs its own), and a cache of
# clock arithmetic (never stored: rebuilt on demand).
_COPIED = {"copied": True}
_CACHE = {"cache": True}


@dataclass(slots=True)
class CaseState:
    """Everything the engine needs to know about one case to decide what happens next."""

    case: str
    policy: str  # fingerprint of the policy version the case is evaluated under
    customer: str
    opened_at: int
    priority: str
    team: str
    tier: str | None = None
    channel: str | None = None
    category: str | None = None
    # The customer organisation's calendar as the case was opened under it (canonical JSON of a
    # policy calendar: timezone, hours, holidays); used by SLAs that follow the customer.
    customer_calendar: str | None = None
    level: int = 0
    status: str = "open"
    updated_at: int = 0  # the latest instant the engine has seen for this case
    # (instant, status) from the opening on; append-only, so a tuple shared between copies.
    status_log: tuple[tuple[int, str], ...] = ()
    sla: int | None = None
    sla_selected_at: int = 0
    clocks: dict[str, Cycle] = field(default_factory=dict, metadata=_COPIED)
    tallies: dict[str, ClockTally] = field(default_factory=dict, metadata=_COPIED)
    level_entries: int = 1
    level_entered_at: int = 0
    escalations: int = 0
    last_escalation_at: int | None = None
    awaiting_ack: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: int | None = None
    # rule index -> the escalation or level entry number it last fired for (timed rules).
    rule_marks: dict[int, int] = field(default_factory=dict, metadata=_COPIED)
    # "rule:metric" -> (clock cycle, looks done) of `sla.at_risk` rules: a rule looks at the
    # forecast up to `LOOKS` times per cycle and is done for the cycle once it fired.
    risk_looks: dict[str, tuple[int, int]] = field(default_factory=dict, metadata=_COPIED)
    # When the customer was told to expect the next answer (the later of its clock's due instant
    # and the forecast's), until that answer comes; None without a forecast.
    promised_at: int | None = None
    reopened: int = 0
    events: int = 0
    tags: tuple[str, ...] = ()
    # The clock flags raised so far (`integrity`), by reason, in order; append-only.
    flags: tuple[str, ...] = ()
    assignee: str | None = None
    # (instant, team, level name, assignee) each time whoever holds the case changed, from the
    # opening on; append-only (see `core.attribution`). Empty in states stored before it.
    holder_log: tuple[tuple[int, str, str, str | None], ...] = ()
    # The latest OLA cycle (`core.ola`): its metric is the team whose internal target it is.
    ola: Cycle | None = None
    # How the OLA cycles that are over ended, per team. Replaced, never changed in place:
    # copies share it (a case without OLAs pays nothing for it).
    ola_tallies: dict[str, ClockTally] = field(default_factory=dict)
    approval_kind: str | None = None
    approval_amount: float | None = None
    survey_score: int | None = None
    resolved_at: int | None = None
    resolution_business_us: int | None = None
    # When the engine asked to look again, valid while `next_check_known` (the state as decided).
    next_check_at: int | None = None
    next_check_known: bool = False
    # What triggers remember between events, by trigger name (JSON values: the sentiment of the
    # customer's previous message...). Replaced, never changed in place: copies share it.
    remembered: dict[str, Any] = field(default_factory=dict)
    # Results of clock arithmetic under the current policy, SLA and status history. Whatever
    # changes one of those gives the state a new dict, so copies may share this one safely.
    memo: dict[tuple[int, ...], int | None] = field(
        default_factory=dict, repr=False, compare=False, metadata=_CACHE
    )
    # Business time counted from the opening to each status change, under the same terms.
    spans: tuple[int, ...] | None = field(default=None, repr=False, compare=False, metadata=_CACHE)
    # Business time counted from the opening to given past instants: later status changes do
    # not alter it, so it lives until the policy or the SLA changes. Copies share it safely.
    anchors: dict[int, int] = field(
        default_factory=dict, repr=False, compare=False, metadata=_CACHE
    )

    # The timed occurrences still to come as the last decision found them (the engine's dues),
    # valid while `next_check_known`: the next call starts from them instead of recomputing.
    dues: Sequence[Any] | None = field(default=None, repr=False, compare=False, metadata=_CACHE)

    def copy(self) -> CaseState:
        """A copy the engine may change without touching this one."""
        # Replaced below by a function generated from the fields (see `_copier`).
        raise NotImplementedError

    def append_status(self, at: int, status: str) -> None:
        """Record a change of status (the memo of clock arithmetic starts afresh)."""
        self.status = status
        self.status_log = (*self.status_log, (at, status))
        self.memo = {}
        self.spans = None

    def forget_clock_arithmetic(self) -> None:
        """Drop every cached clock result: the policy or the SLA changed."""
        self.memo = {}
        self.spans = None
        self.anchors = {}
        self.dues = None

    @property
    def escalated(self) -> bool:
        """True once the case has been escalated at least once."""
        return self.escalations > 0

    @property
    def is_final(self) -> bool:
        """True once the case is closed: nothing will happen to it any more."""
        return self.status == "closed"


def _copier() -> Callable[[CaseState], CaseState]:
    """`CaseState.copy`, generated from the fields: every value passed on positionally (as
    fast as a hand-written call), and its own dict for each mapping the engine changes in
    place; the rest is shared safely. Adding a field needs no change here."""
    values = ", ".join(
        f"dict(state.{item.name})" if item.metadata.get("copied") else f"state.{item.name}"
        for item in fields(CaseState)
    )
    namespace: dict[str, Any] = {"CaseState": CaseState}
    exec(f"def copy(state):\n    return CaseState({values})\n", namespace)
    copy: Callable[[CaseState], CaseState] = namespace["copy"]
    copy.__doc__ = CaseState.copy.__doc__
    return copy


CaseState.copy = _copier()  # type: ignore[method-assign,assignment]
# The fields a stored state holds (the caches are rebuilt on demand).
STORED_FIELDS = tuple(item for item in fields(CaseState) if not item.metadata.get("cache"))
