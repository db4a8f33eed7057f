"""The engine: given a case, a policy and an instant, what must happen now and when to look again.

`apply_event` applies one case event (firing the rules it triggers); `evaluate` fires every timed
rule due up to an instant. Both are pure: they return a new state inside the `Decision` and leave
the one they were given untouched (unless the caller hands it over with `reuse=True`, as the
replay does). The live worker, the API flows and the replay all call them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from escalon.core import integrity
from escalon.core import ola as ola_clock
from escalon.core.assignment import Need
from escalon.core.attribution import note_holder
from escalon.core.calendar import CalendarError
from escalon.core.events import (
    AgentMessage,
    ApprovalRequested,
    CaseEscalated,
    CaseOpened,
    CaseRouted,
    CaseUpdated,
    CustomerMessage,
    EscalationAcknowledged,
    Event,
    StatusChanged,
    SurveyAnswered,
)
from escalon.core.forecast.breach import DEFAULT_THRESHOLD, LOOKS, Foresight
from escalon.core.policy.compiled import Policy
from escalon.core.signals import NO_SIGNALS, TextAnalyzer, TextSignals
from escalon.core.sla import (
    RESPONSE_METRICS,
    calendar_of,
    calendar_text,
    counted,
    customer_calendar,
    extend_spans,
    reach,
    reach_afresh,
)
from escalon.core.staffing import Staffing
from escalon.core.state import (
    CLOCK_METRICS,
    STOPPED_STATUSES,
    CaseState,
    ClockTally,
    Cycle,
    from_us,
    new_tuple,
    to_us,
)

_UNKNOWN: Any = object()  # not yet in the memo of clock arithmetic
_MAX_FIRINGS = 10_000  # a policy whose rules keep re-triggering each other is a bug, not a loop
_NO_TALLY = ClockTally()
# An OLA instant among the dues (SLA instants are -1, timed rules their index), and the metric
# of the rules it readies.
_OLA_RULE = -2
_OLA = "ola"


class EventRejected(ValueError):
    """An event the case cannot take (unknown level, closed case...); nothing was applied."""


class Action(NamedTuple):
    """One action a rule (or a person) took on a case (a tuple: made by the hundred thousand)."""

    at: int
    case: str
    rule: str
    trigger: str
    action: str
    key: str
    metric: str | None
    details: Mapping[str, Any]
    timezone: tzinfo

    @property
    def at_datetime(self) -> datetime:
        """When it happened, in the time zone of the case's SLA calendar."""
        return from_us(self.at).astimezone(self.timezone)

    def record(self) -> dict[str, Any]:
        """The decision as the replay writes it (JSON-ready)."""
        record: dict[str, Any] = {
            "at": _iso_instant(self.at, self.timezone),
            "case": self.case,
            "rule": self.rule,
            "trigger": self.trigger,
        }
        if self.metric is not None:
            record["metric"] = self.metric
        record["action"] = self.action
        record.update(self.details)
        record["key"] = self.key
        return record


_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
_NAIVE_EPOCH = datetime(1970, 1, 1)


class _Remembered(dict[Any, Any]):
    """What a function gave for each key asked, worked out on the first ask (bounded: it starts
    afresh past 100,000 keys)."""

    def __init__(self, work_out: Callable[[Any], Any]) -> None:
        super().__init__()
        self.work_out = work_out

    def __missing__(self, key: Any) -> Any:
        if len(self) > 100_000:
            self.clear()
        value = self[key] = self.work_out(key)
        return value


def _iso_instant(at: int, zone: tzinfo) -> str:
    """An instant in ISO 8601 with its offset, exactly as `datetime.isoformat` writes it.

    Asking the zone its offset is the slow part: it is asked once per hour of the zone, and
    the date once per day; the time of day is written out here.
    """
    offset = _OFFSETS[zone, at // _HOUR_US]
    if offset is None:
        return from_us(at).astimezone(zone).isoformat()
    shift, suffix = offset
    day, time_of_day = divmod(at + shift, _DAY_US)
    seconds, micro = divmod(time_of_day, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    date = _DATES[day]
    if micro:
        return f"{date}{hours:02d}:{minute:02d}:{second:02d}.{micro:06d}{suffix}"
    return f"{date}{hours:02d}:{minute:02d}:{second:02d}{suffix}"


def _hour_offset(zone_hour: tuple[tzinfo, int]) -> tuple[int, str] | None:
    """The zone's offset throughout an hour (None when it changes within it), with its suffix."""
    zone, hour = zone_hour
    first = from_us(hour * _HOUR_US).astimezone(zone)
    last = from_us((hour + 1) * _HOUR_US - 1).astimezone(zone)
    offset = first.utcoffset()
    if offset is None or offset != last.utcoffset():
        return None
    # The suffix `isoformat` writes after the wall time ("+01:00").
    suffix = first.isoformat()[len(first.replace(tzinfo=None).isoformat()) :]
    return offset // timedelta(microseconds=1), suffix


def _iso_date(day: int) -> str:
    """A day since the epoch as ISO writes it before the time ("2026-11-02T")."""
    return (_NAIVE_EPOCH + timedelta(days=day)).isoformat()[:11]


# (zone, hour since the epoch) -> `_hour_offset`; local day since the epoch -> `_iso_date`.
_OFFSETS = _Remembered(_hour_offset)
_DATES = _Remembered(_iso_date)


class ClockEvent(NamedTuple):
    """Something that happened to an SLA clock: started, warning, breach, met or ended."""

    at: int
    case: str
    metric: str
    cycle: int
    kind: str


class Decision(NamedTuple):
    """What the engine decided: the new state, the actions in order, and when to look again."""

    state: CaseState
    actions: tuple[Action, ...]
    clock_events: tuple[ClockEvent, ...]
    next_check_at: int | None


@dataclass(slots=True)
class Firing:
    """What set a rule off, with what the conditions may read."""

    name: str
    key: str
    metric: str | None = None
    text: str | None = None
    approval_kind: str | None = None
    approval_amount: float | None = None
    approval_limit: float | None = None  # the requester's own, when not their level's
    score: int | None = None
    breach_probability: float | None = None  # `sla.at_risk`: the forecast at this look
    _signals: TextSignals | None = None


class _Due(NamedTuple):
    """A timed occurrence not yet fired: a clock instant, or a timed rule's instant."""

    effective: int  # when it takes effect: never before the SLA was last chosen
    original: int
    rule: int  # -1 for a clock instant
    metric: str | None
    kind: str  # "warning" / "breach" for clocks, the rule's trigger otherwise
    number: int  # cycle, escalation or level-entry number


def _clock_order(due: _Due) -> tuple[int, bool]:
    """Clock instants in time order, a warning before a breach of the same instant."""
    return due.original, due.kind != "warning"


# Where a cycle keeps the instants its warning and its breach passed.
_WARNED_AT = Cycle._fields.index("warned_at")
_BREACHED_AT = Cycle._fields.index("breached_at")


class _Plan(NamedTuple):
    """What the engine's hot path reads of a policy, worked out once per policy."""

    # Per SLA: (metric, "warning" or "breach", amount, the index in `Cycle` of the instant it
    # passed) for each clock instant some rule reacts to, a metric's warning before its breach.
    instants: tuple[tuple[tuple[str, str, int, int], ...], ...]
    level_timeouts: tuple[tuple[int, int], ...]  # (rule, after) of `level.timeout` rules
    unacknowledged: tuple[tuple[int, int], ...]  # likewise for `escalation.unacknowledged`
    # ("warning" or "breach", metric) -> the rules reacting to that instant, in file order.
    clock_rules: dict[tuple[str, str], tuple[int, ...]]
    # (rule, metric or None for any, the probability it reacts above) of the rules that look at
    # the forecast (`sla.at_risk`, `sla.promise_slipping`), in file order.
    at_risk: tuple[tuple[int, str | None, float], ...]
    risk_thresholds: dict[int, float]  # the same thresholds by rule
    # The OLA instants ("warning", "breach") some rule reacts to: empty, no OLA timer at all.
    ola: tuple[str, ...]


@lru_cache(maxsize=64)
def _plan(policy: Policy) -> _Plan:
    """The engine's plan for `policy` (cached: a policy is not changed once compiled)."""
    warned = policy.listened_warnings
    watched = policy.listened_breaches
    instants = tuple(
        tuple(
            instant
            for metric, target, warning in targets
            for instant in (
                (metric, "warning", warning, _WARNED_AT) if metric in warned else None,
                (metric, "breach", target, _BREACHED_AT) if metric in watched else None,
            )
            if instant is not None
        )
        for targets in policy.sla_targets
    )
    clock_rules = {
        (kind, metric): tuple(
            index
            for index in policy.rules_by_trigger[f"sla.{kind}"]
            if policy.rules[index].metric in (None, metric)
        )
        for kind in ("warning", "breach")
        for metric in CLOCK_METRICS
    }
    at_risk = tuple(
        (index, rule.metric, threshold if threshold is not None else DEFAULT_THRESHOLD)
        for index in sorted(
            policy.rules_by_trigger["sla.at_risk"] + policy.rules_by_trigger["sla.promise_slipping"]
        )
        for rule in (policy.rules[index],)
        for threshold in (rule.conditions.value("breach_probability_above"),)
    )
    return _Plan(
        instants,
        policy.timed_rules["level.timeout"],
        policy.timed_rules["escalation.unacknowledged"],
        clock_rules,
        at_risk,
        {index: threshold for index, _, threshold in at_risk},
        policy.listened_ola if policy.ola else (),
    )


class _Ready(NamedTuple):
    """A rule waiting to react to a clock instant that has just happened."""

    original: int
    rule: int
    metric: str
    kind: str
    cycle: int


def open_case(
    policy: Policy,
    event: CaseOpened,
    *,
    analyzer: TextAnalyzer | None = None,
    at_us: int | None = None,
    staffing: Staffing | None = None,
    foresight: Foresight | None = None,
) -> Decision:
    """Open a new case from its opening event and fire the rules its opening triggers.

    With a `staffing`, the case is then given to someone of its team by the team's strategy
    (unless an opening rule already moved it, which assigned it in its new team).
    """
    at = to_us(event.at) if at_us is None else at_us
    priority = policy.opening_priority(event.priority, event.impact, event.urgency)
    if priority not in policy.priority_rank:
        raise EventRejected(_unknown("priority", priority, policy.priorities))
    if event.team is not None and event.team not in policy.teams:
        raise EventRejected(_unknown("team", event.team, sorted(policy.teams)))
    text = f"{event.subject}\n{event.body}" if event.subject else event.body
    category = event.category
    if category is None and text:
        # The policy's keywords categorise a case opened without a category, before any rule.
        found = policy.category_from_text(text)
        category = found[0] if found is not None else None
    state = CaseState(
        case=event.case,
        policy=policy.fingerprint,
        customer=event.customer,
        opened_at=at,
        priority=priority,
        team=event.team or policy.levels[0].team,
        tier=event.tier,
        channel=event.channel,
        category=category,
        customer_calendar=None if event.calendar is None else _customer_calendar(event.calendar),
        updated_at=at,
        status_log=((at, "open"),),
        level_entered_at=at,
        holder_log=((at, event.team or policy.levels[0].team, policy.levels[0].name, None),),
        events=1,
    )
    run = Run(state, policy, analyzer, staffing, foresight)
    run.select_sla(at, initial=True)
    run.start_cycle("first_response", at)
    run.start_cycle("resolution", at)
    if policy.ola:
        run.land_ola(at)
    opened = Firing("case.opened", f"event#{state.events}", text=text)
    run.fire_opening_rules(at, opened)
    if not run.moved:
        run.assign_in_team(at, "intake", opened, f"{state.case}|intake|case.opened|event#1")
    if state.promised_at is None:
        run.promise(at)  # what the acknowledgement tells the customer
    return run.decision(at)


def _customer_calendar(spec: Mapping[str, Any]) -> str:
    """The opening's customer calendar as the state keeps it; EventRejected when it is unsound."""
    text = calendar_text(dict(spec))
    try:
        customer_calendar(text)
    except CalendarError as error:
        raise EventRejected(f"calendar: {error}") from None
    return text


def apply_event(
    state: CaseState | None,
    policy: Policy,
    event: Event,
    *,
    analyzer: TextAnalyzer | None = None,
    at_us: int | None = None,
    reuse: bool = False,
    staffing: Staffing | None = None,
    foresight: Foresight | None = None,
) -> Decision:
    """Apply one event to a case (None for a new case), after the timers due before it.

    `at_us` is the event's instant in microseconds, for a caller that has it already. With
    `reuse`, the given state becomes the decision's state instead of being copied: for a caller
    that hands it over and never looks at it again (the replay).
    """
    if isinstance(event, CaseOpened):
        if state is not None and not state.is_final:
            raise EventRejected(f"case {event.case} is already open")
        return open_case(
            policy, event, analyzer=analyzer, at_us=at_us, staffing=staffing, foresight=foresight
        )
    if state is None:
        raise EventRejected(f"case {event.case} was never opened")
    at = to_us(event.at) if at_us is None else at_us
    if at < state.updated_at:
        raise EventRejected(
            f"event at {event.at.isoformat()} is earlier than what case {state.case} has seen"
        )
    _check_event(state, policy, event)
    run = Run(state if reuse else state.copy(), policy, analyzer, staffing, foresight)
    run.advance(at, inclusive=False)
    run.state.updated_at = at
    run.state.events += 1
    run.settled = None
    run.handle(event, at)
    return run.decision(at)


def evaluate(
    state: CaseState,
    policy: Policy,
    now: datetime | int,
    *,
    reuse: bool = False,
    staffing: Staffing | None = None,
    foresight: Foresight | None = None,
) -> Decision:
    """Fire every timed rule due up to and including `now`; say when to look again.

    `reuse` hands the state over instead of having it copied, as in `apply_event`.
    """
    at = now if isinstance(now, int) else to_us(now)
    run = Run(state if reuse else state.copy(), policy, None, staffing, foresight)
    run.advance(at, inclusive=True)
    run.state.updated_at = max(run.state.updated_at, at)
    return run.decision(at)


def assign(
    state: CaseState, assignee: str | None, *, at: int | None = None, level: str | None = None
) -> CaseState:
    """A copy of the case with another assignee (None: back to the team's queue); with the
    instant and the case's level name, the change is logged for `core.attribution`."""
    changed = state.copy()
    changed.assignee = assignee
    if at is not None and level is not None:
        note_holder(changed, at, level)
    return changed


def migrate(
    state: CaseState,
    old: Policy,
    new: Policy,
    at: int,
    *,
    staffing: Staffing | None = None,
    foresight: Foresight | None = None,
) -> Decision:
    """Move a case from one policy version to another at instant `at`.

    What was due under the old policy up to `at` fires first, under the old policy. The case then
    keeps its level (by name), team, priority, clocks and counted time; its SLA is chosen again
    under the new policy, so an instant the new terms put in the past fires at once, at `at`.
    Timed rules that already fired for the current escalation or level entry stay fired when the
    new policy has a rule of the same name. Raises EventRejected when the new policy lacks the
    case's level, team or priority.
    """
    before = evaluate(state, old, at, staffing=staffing, foresight=foresight)
    if old.fingerprint == new.fingerprint:
        return before
    moved = before.state
    level = old.levels[moved.level].name
    if level not in new.level_index:
        raise EventRejected(_unknown("level", level, new.level_index))
    if moved.team not in new.teams:
        raise EventRejected(_unknown("team", moved.team, sorted(new.teams)))
    if moved.priority not in new.priority_rank:
        raise EventRejected(_unknown("priority", moved.priority, new.priorities))
    closing = Run(moved, old, None)
    closing.settle_breaches(at)
    new_rules = {rule.name: index for index, rule in enumerate(new.rules)}
    marks = {}
    for index, number in moved.rule_marks.items():
        renumbered = new_rules.get(old.rules[index].name)
        if renumbered is not None:
            marks[renumbered] = number
    moved.rule_marks = marks
    looks = {}
    for key, seen in moved.risk_looks.items():
        rule_index, _, metric = key.partition(":")
        renumbered = new_rules.get(old.rules[int(rule_index)].name)
        if renumbered is not None:
            looks[f"{renumbered}:{metric}"] = seen
    moved.risk_looks = looks
    moved.level = new.level_index[level]
    moved.policy = new.fingerprint
    moved.forget_clock_arithmetic()
    moved.next_check_known = False
    run = Run(moved, new, None, staffing, foresight)
    run.select_sla(at, initial=True)
    run.advance(at, inclusive=True)
    after = run.decision(at)
    return new_tuple(
        Decision,
        (
            after.state,
            before.actions + tuple(run.actions),
            before.clock_events + tuple(closing.clock_events) + tuple(run.clock_events),
            after.next_check_at,
        ),
    )


def _unknown(what: str, name: str, known: Any) -> str:
    return f"unknown {what} '{name}' (known: {', '.join(known)})"


def _check_event(state: CaseState, policy: Policy, event: Event) -> None:
    """Refuse an event the case cannot take, before anything is applied."""
    if isinstance(event, StatusChanged) and state.status == "closed" and event.status != "closed":
        raise EventRejected(f"case {state.case} is closed and cannot become {event.status}")
    if isinstance(event, CaseEscalated) and event.to not in policy.level_index:
        raise EventRejected(_unknown("level", event.to, policy.level_index))
    if isinstance(event, CaseRouted) and event.team not in policy.teams:
        raise EventRejected(_unknown("team", event.team, sorted(policy.teams)))
    if (
        isinstance(event, CaseUpdated)
        and event.priority is not None
        and event.priority not in policy.priority_rank
    ):
        raise EventRejected(_unknown("priority", event.priority, policy.priorities))


class Run:
    """One engine call: a working copy of the state and what has been decided so far."""

    # Made for every event and timer, and read all along the hot path.
    __slots__ = (
        "actions",
        "analyzer",
        "clock_events",
        "firings",
        "foresight",
        "moved",
        "plan",
        "policy",
        "ready",
        "ready_at",
        "settled",
        "settled_at",
        "staffing",
        "state",
    )

    def __init__(
        self,
        state: CaseState,
        policy: Policy,
        analyzer: TextAnalyzer | None,
        staffing: Staffing | None = None,
        foresight: Foresight | None = None,
    ) -> None:
        if state.policy != policy.fingerprint:
            # Evaluated under another policy version than before: cached clock arithmetic is void.
            state.policy = policy.fingerprint
            state.forget_clock_arithmetic()
            state.next_check_known = False
        self.state = state
        self.policy = policy
        self.plan = _plan(policy)
        self.analyzer = analyzer
        self.staffing = staffing
        self.foresight = foresight
        # Whether the case changed team in this call (and so was assigned in its new team).
        self.moved = False
        self.actions: list[Action] = []
        self.clock_events: list[ClockEvent] = []
        # Rules waiting to react to clock instants that have happened, all at `ready_at`.
        self.ready: list[_Ready] = []
        self.ready_at = 0
        self.firings = 0
        # What is still due once `advance` has finished, while nothing has changed since.
        self.settled: Sequence[_Due] | None = None
        self.settled_at: int | None = None  # the earliest of those

    # -- results -----------------------------------------------------------------------------

    def decision(self, now: int) -> Decision:
        state = self.state
        dues = self.settled
        if dues is None:
            dues, next_check = self.dues()
        else:
            next_check = self.settled_at
        state.next_check_at = next_check
        state.next_check_known = True
        state.dues = dues  # never changed in place: the next call may start from it
        return new_tuple(
            Decision, (state, tuple(self.actions), tuple(self.clock_events), next_check)
        )

    def timezone(self) -> tzinfo:
        return calendar_of(self.policy, self.state).timezone

    # -- clocks ------------------------------------------------------------------------------

    def select_sla(self, at: int, *, initial: bool = False) -> None:
        state = self.state
        chosen = self.policy.sla_choice(
            (state.priority, state.tier, state.category, state.channel, state.team)
        )
        if initial or chosen != state.sla:
            if not initial:
                self.settle_breaches(at)
            state.sla = chosen
            state.sla_selected_at = at
            state.forget_clock_arithmetic()

    def target(self, metric: str) -> int | None:
        sla = self.state.sla
        return None if sla is None else self.policy.slas[sla].targets.get(metric)

    def start_cycle(self, metric: str, at: int) -> None:
        previous = self.state.clocks.get(metric)
        number = 1 if previous is None else previous.number + 1
        self.state.clocks[metric] = Cycle.start(metric, number, at)
        self.clock_events.append(
            new_tuple(ClockEvent, (at, self.state.case, metric, number, "started"))
        )

    def settle_breaches(self, at: int) -> None:
        """Record the breaches no rule waits for that happened before `at` (see `dues`)."""
        for metric, cycle in self.state.clocks.items():
            if cycle.ended_at is None:
                self.settle_breach(metric, at)

    def settle_breach(self, metric: str, at: int) -> None:
        """If a cycle whose breach no rule waits for reached its due instant before `at`, say so."""
        state = self.state
        cycle = state.clocks[metric]
        if cycle.breached_at is not None or metric in self.policy.listened_breaches:
            return
        target = self.target(metric)
        if target is None:
            return
        due = reach(self.policy, state, cycle.started_at, target)
        if due is None or due >= at:  # met or stopped at the due instant itself is in time
            return
        when = max(due, state.sla_selected_at)
        state.clocks[metric] = cycle.breaching(when)
        met, breached, ended, untracked = state.tallies.get(metric) or _NO_TALLY
        state.tallies[metric] = new_tuple(ClockTally, (met, breached + 1, ended, untracked))
        self.clock_events.append(
            new_tuple(ClockEvent, (when, state.case, metric, cycle.number, "breach"))
        )

    def end_cycle(self, metric: str, at: int, outcome: str) -> None:
        """Finish a running cycle: `met` when answered in time, `ended` when it just stops."""
        state = self.state
        cycle = state.clocks.get(metric)
        if cycle is None or cycle.ended_at is not None:
            return
        if cycle.breached_at is None and metric not in self.policy.listened_breaches:
            self.settle_breach(metric, at)
            cycle = state.clocks[metric]
        met, breached, ended, untracked = state.tallies.get(metric) or _NO_TALLY
        sla = state.sla
        if cycle.breached_at is not None:
            outcome = "breached"
        elif sla is None or self.policy.slas[sla].targets.get(metric) is None:
            outcome = "untracked"
            untracked += 1
        elif outcome == "met":
            met += 1
        else:
            outcome = "ended"
            ended += 1
        state.tallies[metric] = new_tuple(ClockTally, (met, breached, ended, untracked))
        state.clocks[metric] = cycle.ending(at, outcome)
        self.clock_events.append(
            new_tuple(ClockEvent, (at, state.case, metric, cycle.number, outcome))
        )

    def dues(self) -> tuple[list[_Due], int | None]:
        """Every timed occurrence still to come, with the instant it takes effect; and the
        earliest of those instants (None without any)."""
        state = self.state
        plan = self.plan
        # What may still fall due: (start, amount, rule, metric, kind, number), the rule -1 for a
        # clock instant.
        waiting: list[tuple[int, int, int, str | None, str, int]] = []
        sla = state.sla
        if sla is not None:
            clocks = state.clocks
            # Instants no rule reacts to are not in the plan: they need no timer, and
            # `settle_breach` accounts for breaches.
            for clock, kind, amount, passed in plan.instants[sla]:
                cycle = clocks.get(clock)
                # A cycle that ended, or whose instant of this kind has passed, waits for nothing.
                if cycle is not None and cycle.ended_at is None and cycle[passed] is None:
                    waiting.append((cycle.started_at, amount, -1, clock, kind, cycle.number))
        # Timed rules count from the latest escalation (while unacknowledged) or level entry,
        # each once per escalation or level entry.
        marks = state.rule_marks
        if plan.level_timeouts:
            start, number = state.level_entered_at, state.level_entries
            for index, after in plan.level_timeouts:
                if marks.get(index) != number:
                    waiting.append((start, after, index, None, "level.timeout", number))
        last_escalation_at = state.last_escalation_at
        if plan.unacknowledged and state.awaiting_ack and last_escalation_at is not None:
            number = state.escalations
            trigger = "escalation.unacknowledged"
            for index, after in plan.unacknowledged:
                if marks.get(index) != number:
                    waiting.append((last_escalation_at, after, index, None, trigger, number))
        if plan.at_risk and sla is not None:
            self.risk_looks(waiting)
        floor = state.sla_selected_at
        memo = state.memo
        dues: list[_Due] = []
        earliest: int | None = None
        for start, amount, rule, metric, kind, number in waiting:
            instant = memo.get((start, amount), _UNKNOWN)
            if instant is _UNKNOWN:
                instant = reach_afresh(self.policy, state, start, amount)
            if instant is not None:
                effective = instant if instant > floor else floor
                if earliest is None or effective < earliest:
                    earliest = effective
                dues.append(new_tuple(_Due, (effective, instant, rule, metric, kind, number)))
        running_ola = state.ola
        if plan.ola and running_ola is not None and running_ola.ended_at is None:
            earliest = self.ola_dues(running_ola, dues, earliest)
        return dues, earliest

    def risk_looks(self, waiting: list[tuple[int, int, int, str | None, str, int]]) -> None:
        """Add the next look of each `sla.at_risk` rule at each running clock it watches: at the
        cycle's start, then at each tenth of the target, until it fires or has looked enough."""
        state = self.state
        looks = state.risk_looks
        for index, watched, _ in self.plan.at_risk:
            for metric, cycle in state.clocks.items():
                if (watched is not None and metric != watched) or cycle.ended_at is not None:
                    continue
                target = self.target(metric)
                if target is None:
                    continue
                seen = looks.get(f"{index}:{metric}")
                done = seen[1] if seen is not None and seen[0] == cycle.number else 0
                if done < LOOKS:
                    amount = target * done // LOOKS
                    waiting.append((cycle.started_at, amount, index, metric, "sla.at_risk", done))

    # -- OLA clocks (`core.ola`) -------------------------------------------------------------

    def ola_dues(self, cycle: Cycle, dues: list[_Due], earliest: int | None) -> int | None:
        """Add the running OLA cycle's instants some rule waits for; the new earliest."""
        terms = self.policy.ola.get(cycle.metric)
        if terms is None:
            return earliest
        log = self.state.status_log
        for kind in self.plan.ola:
            if kind == "warning":
                passed, amount = cycle.warned_at, terms.warning
            else:
                passed, amount = cycle.breached_at, terms.act_within
            if passed is not None:
                continue
            instant = ola_clock.reach(terms, log, cycle.started_at, amount)
            if instant is None:
                continue
            dues.append(new_tuple(_Due, (instant, instant, _OLA_RULE, _OLA, kind, cycle.number)))
            if earliest is None or instant < earliest:
                earliest = instant
        return earliest

    def land_ola(self, at: int) -> None:
        """The case lands in its team: the former team's OLA stops, the new team's starts."""
        state = self.state
        cycle = state.ola
        # Moved on at the very instant it landed (an opening rule routing it, say): the team had
        # no time to act, so the cycle counts neither as met nor as breached.
        self.end_ola(at, "ended" if cycle is not None and cycle.started_at == at else "met")
        if state.team not in self.policy.ola or state.status in STOPPED_STATUSES:
            return
        previous = state.ola
        number = 1 if previous is None else previous.number + 1
        state.ola = Cycle.start(state.team, number, at)
        self.clock_events.append(
            new_tuple(
                ClockEvent, (at, state.case, ola_clock.metric_of(state.team), number, "started")
            )
        )

    def end_ola(self, at: int, outcome: str) -> None:
        """Stop the running OLA cycle: `met` in time, `breached` past its target."""
        state = self.state
        cycle = state.ola
        if cycle is None or cycle.ended_at is not None:
            return
        terms = self.policy.ola.get(cycle.metric)
        metric = ola_clock.metric_of(cycle.metric)
        if terms is None:
            outcome = "untracked"
        else:
            # A breach no rule waited for is found now, at the instant it happened.
            when = ola_clock.settled_breach(terms, state, cycle, at)
            if when is not None:
                cycle = cycle.breaching(when)
                self.clock_events.append(
                    new_tuple(ClockEvent, (when, state.case, metric, cycle.number, "breach"))
                )
            if cycle.breached_at is not None:
                outcome = "breached"
        state.ola = cycle.ending(at, outcome)
        met, breached, ended, untracked = state.ola_tallies.get(cycle.metric) or _NO_TALLY
        if outcome == "met":
            met += 1
        elif outcome == "breached":
            breached += 1
        elif outcome == "ended":
            ended += 1
        else:
            untracked += 1
        tally = new_tuple(ClockTally, (met, breached, ended, untracked))
        state.ola_tallies = {**state.ola_tallies, cycle.metric: tally}
        self.clock_events.append(
            new_tuple(ClockEvent, (at, state.case, metric, cycle.number, outcome))
        )

    def mark_ola(self, due: _Due, now: int) -> None:
        state = self.state
        cycle = state.ola
        assert cycle is not None
        state.ola = cycle.warning(now) if due.kind == "warning" else cycle.breaching(now)
        metric = ola_clock.metric_of(cycle.metric)
        self.clock_events.append(
            new_tuple(ClockEvent, (now, state.case, metric, cycle.number, due.kind))
        )
        for index in self.policy.rules_by_trigger[f"ola.{due.kind}"]:
            self.ready.append(
                new_tuple(_Ready, (due.original, index, _OLA, due.kind, cycle.number))
            )
        self.ready_at = now

    def note_holder(self, at: int) -> None:
        """Log who holds the case from `at` (`core.attribution.note_holder`, written out here:
        it runs on every move the engine makes)."""
        state = self.state
        team, assignee = state.team, state.assignee
        level = self.policy.levels[state.level].name
        log = state.holder_log
        if log:
            last_at, last_team, last_level, last_assignee = log[-1]
            if last_team == team and last_level == level and last_assignee == assignee:
                return
            if last_at >= at:
                state.holder_log = (*log[:-1], (at, team, level, assignee))
                return
        state.holder_log = (*log, (at, team, level, assignee))

    def advance(self, limit: int, *, inclusive: bool) -> None:
        """Fire what falls due up to `limit`, instant by instant, each at its own instant."""
        state = self.state
        if state.next_check_known:
            # The decision that produced this state already said when anything falls due.
            upcoming = state.next_check_at
            if upcoming is None or upcoming > limit or (upcoming == limit and not inclusive):
                return
        # Unchanged since the decision that made it, the state still has its dues (and the
        # earliest of them is the instant it asked to be looked at again).
        known: Sequence[_Due] | None = state.dues if state.next_check_known else None
        while True:
            earliest: int | None
            if known is not None:
                dues, known, earliest = known, None, state.next_check_at
            else:
                dues, earliest = self.dues()
            ready = self.ready
            if ready:
                now = self.ready_at
            else:
                if earliest is None:
                    self.settled, self.settled_at = dues, None
                    return
                now = earliest
                if now > limit or (now == limit and not inclusive):
                    self.settled, self.settled_at = dues, now
                    return
            # What happens now, in one pass: clock instants, and timed rules.
            clock_dues: list[_Due] = []
            timed_dues: list[_Due] = []
            for due in dues:
                if due.effective <= now:
                    (clock_dues if due.rule < 0 else timed_dues).append(due)
            # Clock instants happen first: they make their rules ready, warnings before breaches.
            if len(clock_dues) > 1:
                clock_dues.sort(key=_clock_order)
            for due in clock_dues:
                self.mark_clock(due, now)
            # In time order of the original instants; a warning goes before a breach of the same
            # instant, and otherwise rules run in file order.
            chosen: _Due | _Ready | None = None
            best: tuple[int, bool, int] | None = None
            for item in ready:
                rank = (item.original, item.kind != "warning", item.rule)
                if best is None or rank < best:
                    best, chosen = rank, item
            for due in timed_dues:
                rank = (due.original, True, due.rule)
                if best is None or rank < best:
                    best, chosen = rank, due
            if chosen is None:
                continue
            self.firings += 1
            if self.firings > _MAX_FIRINGS:
                raise RuntimeError(f"case {self.state.case}: rules keep firing at one instant")
            if isinstance(chosen, _Due):
                self.fire_timed_rule(chosen, now)
            else:
                ready.remove(chosen)
                self.fire_clock_rule(chosen, now)

    def mark_clock(self, due: _Due, now: int) -> None:
        if due.rule == _OLA_RULE:
            self.mark_ola(due, now)
            return
        state = self.state
        metric = due.metric
        assert metric is not None
        cycle = state.clocks[metric]
        if due.kind == "warning":
            state.clocks[metric] = cycle.warning(now)
        else:
            state.clocks[metric] = cycle.breaching(now)
            met, breached, ended, untracked = state.tallies.get(metric) or _NO_TALLY
            state.tallies[metric] = new_tuple(ClockTally, (met, breached + 1, ended, untracked))
        self.clock_events.append(
            new_tuple(ClockEvent, (now, state.case, metric, cycle.number, due.kind))
        )
        for index in self.plan.clock_rules[due.kind, metric]:
            self.ready.append(
                new_tuple(_Ready, (due.original, index, metric, due.kind, cycle.number))
            )
        self.ready_at = now

    def fire_clock_rule(self, item: _Ready, now: int) -> None:
        if item.metric == _OLA:
            key = f"ola#{item.cycle}:{item.kind}"
            cycle = self.state.ola
            metric = None if cycle is None else ola_clock.metric_of(cycle.metric)
            self.fire_rule(item.rule, now, Firing(f"ola.{item.kind}", key, metric=metric))
            return
        key = f"{item.metric}#{item.cycle}:{item.kind}"
        self.fire_rule(item.rule, now, Firing(f"sla.{item.kind}", key, metric=item.metric))

    def fire_at_risk(self, due: _Due, now: int) -> None:
        """Look at the forecast for one rule and clock; fire the rule when above its threshold
        (`sla.at_risk`) or when the answer will come later than promised (`sla.promise_slipping`)."""
        state = self.state
        metric = due.metric
        assert metric is not None
        cycle = state.clocks[metric]
        key = f"{due.rule}:{metric}"
        state.risk_looks[key] = (cycle.number, due.number + 1)
        target = self.target(metric)
        if self.foresight is None or target is None:
            return
        due_at = reach(self.policy, state, cycle.started_at, target)
        if due_at is None:
            return
        if self.policy.rules[due.rule].trigger == "sla.promise_slipping":
            self.look_at_promise(due.rule, metric, due_at, now)
            return
        probability = self.foresight.breach_probability(state, metric, due_at, target, now)
        threshold = self.plan.risk_thresholds[due.rule]
        if probability is None or probability <= threshold:
            return
        firing = Firing(
            "sla.at_risk",
            f"{metric}#{cycle.number}:at_risk",
            metric=metric,
            breach_probability=probability,
        )
        if self.fire_rule(due.rule, now, firing):
            state.risk_looks[key] = (cycle.number, LOOKS)

    def look_at_promise(self, rule: int, metric: str, due_at: int, now: int) -> None:
        """Fire a `sla.promise_slipping` rule when the forecast answer comes after the promise
        the customer holds (once per promise: a rule telling them anew makes a new one)."""
        promised = self.state.promised_at
        if promised is None or metric not in RESPONSE_METRICS or self.foresight is None:
            return
        likely = self.foresight.answer_by(self.state, metric, due_at, now)
        if likely is None or likely <= promised:
            return
        cycle = self.state.clocks[metric].number
        firing = Firing(
            "sla.promise_slipping", f"{metric}#{cycle}:promise@{promised}", metric=metric
        )
        self.fire_rule(rule, now, firing)

    def promise(self, at: int) -> None:
        """Work out when the customer may expect the next answer: the later of its clock's due
        instant and the forecast's (without a forecast, none is kept: the due instant speaks)."""
        state = self.state
        foresight = self.foresight
        if foresight is None or state.sla is None:
            return
        nearest: tuple[int, str] | None = None
        targets = self.policy.slas[state.sla].targets
        for metric in RESPONSE_METRICS:
            cycle = state.clocks.get(metric)
            target = targets.get(metric)
            if cycle is None or cycle.ended_at is not None or target is None:
                continue
            due_at = reach(self.policy, state, cycle.started_at, target)
            if due_at is not None and due_at > at and (nearest is None or due_at < nearest[0]):
                nearest = (due_at, metric)
        if nearest is None:
            state.promised_at = None
            return
        due_at, metric = nearest
        likely = foresight.answer_by(state, metric, due_at, at)
        state.promised_at = due_at if likely is None else max(due_at, likely)

    def fire_timed_rule(self, due: _Due, now: int) -> None:
        if due.kind == "sla.at_risk":
            self.fire_at_risk(due, now)
            return
        self.state.rule_marks[due.rule] = due.number
        label = "escalation" if due.kind == "escalation.unacknowledged" else "level-entry"
        self.fire_rule(due.rule, now, Firing(due.kind, f"{label}#{due.number}"))

    # -- rules -------------------------------------------------------------------------------

    def fire_event_rules(self, at: int, trigger: Firing) -> None:
        for index in self.policy.rules_by_trigger[trigger.name]:
            self.fire_rule(index, at, trigger)

    def fire_opening_rules(self, at: int, opened: Firing) -> None:
        """Fire the `case.opened` rules and, when the customer wrote something, the
        `customer.message` rules that read text: the opening text is the first message."""
        if not opened.text:
            self.fire_event_rules(at, opened)
            return
        message = Firing("customer.message", opened.key, text=opened.text)
        for index in self.policy.opening_rules:
            trigger = opened if self.policy.rules[index].trigger == "case.opened" else message
            self.fire_rule(index, at, trigger)
            # One reading of the text serves both triggers.
            signals = opened._signals or message._signals
            opened._signals = message._signals = signals
        self.fire_riders(at, message)

    def fire_rule(self, index: int, at: int, trigger: Firing) -> bool:
        """Fire one rule if its conditions hold; say whether they did."""
        policy = self.policy
        # The registry's hooks, looked up once per policy: no chain of ifs per firing.
        for holds, value in policy.rule_checks[index]:
            if not holds(self, value, trigger):
                return False
        name = policy.rules[index].name
        key = f"{self.state.case}|{name}|{trigger.name}|{trigger.key}"
        for position, (act, value) in enumerate(policy.rule_actions[index]):
            act(self, value, name, trigger, f"{key}|{position}", at)
        return True

    def fire_riders(self, at: int, trigger: Firing) -> None:
        """Fire the triggers that ride on `trigger` (such as a fall of sentiment on a message)."""
        for react, rules in self.policy.riders.get(trigger.name, ()):
            react(self, rules, trigger, at)

    def firing_like(self, name: str, event: Firing) -> Firing:
        """A firing of trigger `name` set off by `event`: same key and text, one reading."""
        return Firing(name, event.key, text=event.text, _signals=event._signals)

    def signals(self, trigger: Firing) -> TextSignals:
        if trigger._signals is None:
            if trigger.text is None or self.analyzer is None:
                trigger._signals = NO_SIGNALS
            else:
                trigger._signals = self.analyzer.analyze(trigger.text)
        return trigger._signals

    def record(
        self,
        at: int,
        rule: str,
        trigger: Firing,
        action: str,
        key: str,
        details: dict[str, Any],
    ) -> None:
        zone = calendar_of(self.policy, self.state).timezone
        self.actions.append(
            new_tuple(
                Action,
                (
                    at,
                    self.state.case,
                    rule,
                    trigger.name,
                    action,
                    key,
                    trigger.metric,
                    details,
                    zone,
                ),
            )
        )

    # -- changes -----------------------------------------------------------------------------

    def change_level(
        self, target: int, at: int, rule: str, trigger: Firing, key: str, extra: dict[str, Any]
    ) -> None:
        state = self.state
        levels = self.policy.levels
        previous = state.level
        upward = target > previous
        staffing = self.staffing
        if upward and staffing is not None:
            # A level whose people are all absent would leave the case with nobody: go past it.
            while target < len(levels) - 1 and staffing.unstaffed(levels[target].team, at):
                skipped = levels[target]
                self.record(
                    at,
                    rule,
                    trigger,
                    "skip_level",
                    f"{key}|skip:{skipped.name}",
                    {"level": skipped.name, "team": skipped.team, "reason": "nobody present"},
                )
                target += 1
        state.level = target
        state.team = levels[target].team
        state.level_entries += 1
        state.level_entered_at = at
        if self.policy.ola or state.ola is not None:
            self.land_ola(at)
        details = {"from_level": levels[previous].name, "to_level": levels[target].name, **extra}
        if upward:
            state.escalations += 1
            state.last_escalation_at = at
            state.awaiting_ack = True
            state.acknowledged_by = None
            state.acknowledged_at = None
            self.record(at, rule, trigger, "escalate", key, details)
            if state.status not in STOPPED_STATUSES:
                self.end_cycle("periodic_update", at, "ended")
                self.start_cycle("periodic_update", at)
        else:
            state.awaiting_ack = False
            self.record(at, rule, trigger, "de-escalate", key, details)
            if target == 0:
                self.end_cycle("periodic_update", at, "ended")
        self.select_sla(at)
        self.moved = True
        self.assign_in_team(at, rule, trigger, key)
        self.note_holder(at)

    def route(
        self, team: str, at: int, rule: str, trigger: Firing, key: str, extra: dict[str, Any]
    ) -> None:
        state = self.state
        if team == state.team:
            return
        previous = state.team
        state.team = team
        if self.policy.ola or state.ola is not None:
            self.land_ola(at)
        self.record(
            at, rule, trigger, "route", key, {"from_team": previous, "to_team": team, **extra}
        )
        self.select_sla(at)
        self.moved = True
        self.assign_in_team(at, rule, trigger, key)
        self.note_holder(at)

    def assign_in_team(
        self, at: int, rule: str, trigger: Firing, key: str, *, strategy: str | None = None
    ) -> None:
        """Give the case to someone of its team (by `strategy`, else the team's own).

        Only with a staffing. A team without a strategy, or where nobody fits, keeps the case in
        its queue: a person of another team who had it no longer does.
        """
        staffing = self.staffing
        state = self.state
        if staffing is None or state.status in STOPPED_STATUSES:
            return
        need = Need(category=state.category, tier=state.tier)
        choice = staffing.assign(state.team, at, need, strategy=strategy)
        previous = state.assignee
        if choice is None:
            if previous is None:
                return
            details: dict[str, Any] = {
                "strategy": "queue",
                "team": state.team,
                "reason": f"team {state.team} assigns nobody: the case waits in its queue",
            }
        else:
            details = {"strategy": choice.strategy, "team": state.team}
            if choice.agent is not None:
                details["assignee"] = choice.agent
            details["reason"] = choice.reason
            if previous is not None and choice.agent == previous:
                staffing.release(previous)  # counted twice: it was theirs already
        assignee = None if choice is None else choice.agent
        if previous is not None and previous != assignee:
            details["from"] = previous
            staffing.release(previous)
        state.assignee = assignee
        self.note_holder(at)
        self.record(at, rule, trigger, "assign", f"{key}|assign", details)

    def set_status(self, status: str, at: int) -> None:
        state = self.state
        previous = state.status
        if status == previous:
            return
        # Read before the move: a pause may stop a clock the customer is still waiting on.
        flags = integrity.on_pause(self.policy, state, status, at)
        spans = state.spans
        state.append_status(at, status)
        if spans is not None:
            state.spans = extend_spans(self.policy, state, spans)
        if status in STOPPED_STATUSES:
            for metric in ("first_response", "next_response", "periodic_update"):
                self.end_cycle(metric, at, "met")
            if state.ola is not None:
                self.end_ola(at, "met")
            if previous not in STOPPED_STATUSES:
                state.resolved_at = at
                state.resolution_business_us = counted(self.policy, state, state.opened_at, at)
        elif previous == "resolved":
            state.reopened += 1
            if state.level > 0:
                self.start_cycle("periodic_update", at)
            if self.policy.ola:
                self.land_ola(at)
            self.fire_event_rules(at, Firing("case.reopened", f"event#{state.events}"))
        for reason, metric in flags:
            self.flag(reason, metric, at)

    def flag(self, reason: str, metric: str, at: int) -> None:
        """Say that a clock was stopped suspiciously, and fire `clock.suspicious`."""
        state = self.state
        state.flags = (*state.flags, reason)
        cycle = state.clocks.get(metric)
        number = 0 if cycle is None else cycle.number
        self.clock_events.append(
            new_tuple(ClockEvent, (at, state.case, metric, number, f"flag.{reason}"))
        )
        key = f"{reason}#{len(state.flags)}"
        self.fire_event_rules(at, Firing("clock.suspicious", key, metric=metric))

    # -- events ------------------------------------------------------------------------------

    def handle(self, event: Event, at: int) -> None:
        handler = _HANDLERS[type(event)]
        handler(self, event, at)

    def on_customer_message(self, event: CustomerMessage, at: int) -> None:
        state = self.state
        if state.status == "closed":
            return
        premature = integrity.reopened_too_soon(state, at)
        if state.status in ("pending_customer", "resolved"):
            self.set_status("open", at)
        if premature:
            self.flag("premature", "resolution", at)
        first = state.clocks.get("first_response")
        answered_once = first is not None and first.ended_at is not None
        current = state.clocks.get("next_response")
        if answered_once and (current is None or current.ended_at is not None):
            self.start_cycle("next_response", at)
            self.promise(at)
        message = Firing("customer.message", f"event#{state.events}", text=event.body)
        self.fire_event_rules(at, message)
        self.fire_riders(at, message)

    def on_agent_message(self, event: AgentMessage, at: int) -> None:
        state = self.state
        ola = state.ola
        if ola is not None and ola.ended_at is None:
            # The team acted (to the customer or in a note): its OLA is met.
            self.end_ola(at, "met")
        if not event.public or state.status in STOPPED_STATUSES:
            return
        self.end_cycle("first_response", at, "met")
        self.end_cycle("next_response", at, "met")
        state.promised_at = None  # kept: the customer has their answer
        if state.level > 0:
            self.end_cycle("periodic_update", at, "met")
            self.start_cycle("periodic_update", at)

    def on_status_changed(self, event: StatusChanged, at: int) -> None:
        self.set_status(event.status, at)

    def on_case_updated(self, event: CaseUpdated, at: int) -> None:
        state = self.state
        if event.priority is not None:
            state.priority = event.priority
        if event.tier is not None:
            state.tier = event.tier
        if event.category is not None:
            state.category = event.category
        if event.channel is not None:
            state.channel = event.channel
        self.select_sla(at)

    def on_acknowledged(self, event: EscalationAcknowledged, at: int) -> None:
        state = self.state
        if state.awaiting_ack:
            state.awaiting_ack = False
            state.acknowledged_by = event.agent
            state.acknowledged_at = at

    def on_escalated(self, event: CaseEscalated, at: int) -> None:
        target = self.policy.level_index[event.to]
        if target == self.state.level:
            return
        trigger = Firing("case.escalated", f"event#{self.state.events}")
        key = f"{self.state.case}|manual|case.escalated|event#{self.state.events}"
        extra = {"agent": event.agent, "reason": event.reason}
        self.change_level(target, at, "manual", trigger, key, extra)

    def on_routed(self, event: CaseRouted, at: int) -> None:
        trigger = Firing("case.routed", f"event#{self.state.events}")
        key = f"{self.state.case}|manual|case.routed|event#{self.state.events}"
        self.route(
            event.team, at, "manual", trigger, key, {"agent": event.agent, "reason": event.reason}
        )

    def on_approval(self, event: ApprovalRequested, at: int) -> None:
        state = self.state
        state.approval_kind = event.kind
        state.approval_amount = event.amount
        trigger = Firing(
            "approval.requested",
            f"event#{state.events}",
            approval_kind=event.kind,
            approval_amount=event.amount,
            approval_limit=event.authority,
        )
        self.fire_event_rules(at, trigger)

    def on_survey(self, event: SurveyAnswered, at: int) -> None:
        state = self.state
        state.survey_score = event.score
        self.fire_event_rules(
            at, Firing("survey.answered", f"event#{state.events}", score=event.score)
        )


_HANDLERS: dict[type[Any], Callable[[Run, Any, int], None]] = {
    CustomerMessage: Run.on_customer_message,
    AgentMessage: Run.on_agent_message,
    StatusChanged: Run.on_status_changed,
    CaseUpdated: Run.on_case_updated,
    EscalationAcknowledged: Run.on_acknowledged,
    CaseEscalated: Run.on_escalated,
    CaseRouted: Run.on_routed,
    ApprovalRequested: Run.on_approval,
    SurveyAnswered: Run.on_survey,
}
