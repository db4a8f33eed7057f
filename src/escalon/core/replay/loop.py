"""The replay's loop: case events through the engine on a virtual clock, in time order.

The loop keeps one state per case and a heap of the instants the engine asked to look again, so
memory follows the cases, not the events. It reads lines and calls back with what it decides;
reading files, drawing progress and writing results belong to the caller.

A policy with `sla.at_risk` rules is replayed with a breach forecast learnt from the replay's own
past (`ReplayForesight`; a fitted `breach_model` refines it), in one process: queues are shared.

With a roster, every engine call gets the roster's staffing: levels with nobody present are
skipped, cases are assigned by their team's strategy and notifications say whom they reached.
The people's loads follow the cases (a resolved or closed case stops counting against its
assignee, a reopened one counts again), so such a replay runs in one process.
"""

from __future__ import annotations

import heapq
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from escalon.core.engine import Action, Decision, EventRejected, apply_event, evaluate
from escalon.core.events import CaseOpened, Event, EventError, parse_event_json
from escalon.core.forecast.breach import BreachModel
from escalon.core.organisations import Organisations, UnknownOrganisation
from escalon.core.policy.compiled import Policy
from escalon.core.replay.foresight import ReplayForesight
from escalon.core.replay.report import ReportBuilder
from escalon.core.replay.tally import RosterTally
from escalon.core.roster.staff import StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.core.state import STOPPED_STATUSES, CaseState, to_us


def _holding(state: CaseState) -> tuple[str | None, bool]:
    """Who holds a case, and whether it counts against them (it is not resolved or closed)."""
    return state.assignee, state.status not in STOPPED_STATUSES


def shard_of(case: str, shards: int) -> int:
    """Which of `shards` replays owns a case (stable across processes and runs)."""
    return zlib.crc32(case.encode()) % shards


class Replay:
    """Drives the engine over a stream of event lines in time order.

    Cases are independent, so a stream can be split by case over several replays (`shard` of
    `shards`): each reads every line, keeps the stream's bookkeeping (order, `until`, the end) and
    applies only the events of its own cases. Stream-level problems (unreadable or out-of-order
    lines) are counted and reported by shard 0 only. Decisions come out ordered by
    `(at, *order, position)`: `order` is `(0, line)` while an event is applied and `(1, case)`
    while a timer fires, so the outputs of shards merge into exactly the single replay's output.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        analyzer: TextAnalyzer | None = None,
        until: int | None = None,
        on_action: Callable[[Action], None] | None = None,
        on_skip: Callable[[int, str], None] | None = None,
        shard: int = 0,
        shards: int = 1,
        roster: StaffRoster | None = None,
        foresight: ReplayForesight | None = None,
        breach_model: BreachModel | None = None,
        organisations: Organisations | None = None,
    ) -> None:
        if roster is not None and shards > 1:
            raise ValueError("a replay with a roster runs in one process: loads are shared")
        if foresight is None and policy.rules_by_trigger["sla.at_risk"]:
            # The replay forecasts as the live service does, from what it has seen so far.
            foresight = ReplayForesight(policy, model=breach_model)
        if foresight is not None and shards > 1:
            raise ValueError("a replay with a forecast runs in one process: queues are shared")
        self.policy = policy
        self.organisations = organisations
        self.analyzer = analyzer
        self.until = until
        self.on_action = on_action
        self.on_skip = on_skip
        self.shard = shard
        self.shards = shards
        self.states: dict[str, CaseState] = {}
        # (instant, case): at one instant, timers fire in case order, whatever the shard.
        self.timers: list[tuple[int, str]] = []
        self.scheduled: dict[str, int] = {}
        self.builder = ReportBuilder()
        self.last_at: int | None = None
        self.order: tuple[int, int | str] = (0, 0)
        self.stopped = False  # reached an event after `until`
        self.first_at: int | None = None  # the first event applied: the replayed span's start
        self.staffing = roster.staffing() if roster is not None else None
        self.tally = RosterTally(roster) if roster is not None else None
        self.foresight = foresight

    def feed(self, lines: Iterable[tuple[int, str | bytes]]) -> None:
        """Read numbered lines until they run out or one falls after `until`."""
        for number, line in lines:
            if not line or line.isspace():
                continue
            if not self.feed_line(number, line):
                self.stopped = True
                return

    def feed_line(self, number: int, line: str | bytes) -> bool:
        """Apply one line; False when it lies after `until` (it and the rest are not read)."""
        try:
            event = parse_event_json(line)
        except EventError as error:
            self.unreadable(number, str(error))
            return True
        return self.feed_event(number, event)

    def unreadable(self, number: int, reason: str) -> None:
        """Count a line that is no event (shard 0 reports it)."""
        if self.shard == 0:
            self.builder.events += 1
            self._skip(number, reason)

    def feed_event(self, number: int, event: Event) -> bool:
        """Apply one parsed event (line `number`); False when it lies after `until`."""
        stream_keeper = self.shard == 0
        at = to_us(event.at)
        if self.until is not None and at > self.until:
            return False
        if stream_keeper:
            self.builder.events += 1
        if self.last_at is not None and at < self.last_at:
            if stream_keeper:
                self._skip(
                    number, "earlier than the event before it (events must be sorted by 'at')"
                )
            return True
        self.last_at = at
        if self.first_at is None:
            self.first_at = at
            if self.foresight is not None:
                self.foresight.begin(at)
        self.run_timers(at, inclusive=False)
        case = event.case
        if self.shards > 1 and shard_of(case, self.shards) != self.shard:
            return True
        previous = self.states.get(case)
        opening = isinstance(event, CaseOpened)
        if opening and self.organisations is not None:
            assert isinstance(event, CaseOpened)
            try:
                event = self.organisations.opening(event)
            except UnknownOrganisation as error:
                self._skip(number, str(error))
                return True
        # Who held the case before the call, and whether it counted against them (the state is
        # handed over and changed in place). A new case under a closed one's id starts afresh.
        held = None if previous is None or opening else _holding(previous)
        try:
            decision = apply_event(
                previous,
                self.policy,
                event,
                analyzer=self.analyzer,
                at_us=at,
                reuse=True,
                staffing=self.staffing,
                foresight=self.foresight,
            )
        except EventRejected as error:
            self._skip(number, str(error))
            return True
        if opening:
            self.builder.cases += 1
            if previous is not None:
                self.builder.add_case(self.policy, previous, at)
        self.order = (0, number)
        self._take(decision, held)
        return True

    def finish(self) -> dict[str, Any]:
        """Fire the timers up to the end of the replay and return the report."""
        end = self.until if self.until is not None else self.last_at
        if end is not None:
            self.run_timers(end, inclusive=True)
        for state in self.states.values():
            self.builder.add_case(self.policy, state, state.updated_at if end is None else end)
        report = self.builder.report(self.policy)
        if self.tally is not None:
            report["roster"] = self.tally.report(self.policy, self.first_at, end)
        return report

    def run_timers(self, limit: int, *, inclusive: bool) -> None:
        """Evaluate, in time order, every case whose next check falls before `limit`."""
        timers = self.timers
        # Called for every event and run for every timer: what it reads, bound once.
        scheduled = self.scheduled
        states = self.states
        policy = self.policy
        staffing = self.staffing
        foresight = self.foresight
        while timers and (timers[0][0] < limit or (inclusive and timers[0][0] == limit)):
            at, case = heapq.heappop(timers)
            if scheduled.get(case) != at:
                continue  # superseded by a later decision
            del scheduled[case]
            self.order = (1, case)
            state = states[case]
            held = _holding(state) if staffing is not None else None
            decision = evaluate(
                state, policy, at, reuse=True, staffing=staffing, foresight=foresight
            )
            self._take(decision, held)

    def _take(self, decision: Decision, held: tuple[str | None, bool] | None = None) -> None:
        state = decision.state
        self.states[state.case] = state
        if self.staffing is not None:
            self._follow_loads(decision, held)
        if self.foresight is not None:
            self.foresight.follow(decision)
        if self.on_action is not None:
            for action in decision.actions:
                self.builder.count_action(action)
                self.on_action(action)
        else:
            for action in decision.actions:
                self.builder.count_action(action)
        if state.status in STOPPED_STATUSES:
            # Most resolved cases never come back: keep them small (a reopening recomputes).
            state.forget_clock_arithmetic()
        next_check = decision.next_check_at
        if next_check is None:
            self.scheduled.pop(state.case, None)
        elif self.scheduled.get(state.case) != next_check:
            self.scheduled[state.case] = next_check
            heapq.heappush(self.timers, (next_check, state.case))

    def _follow_loads(self, decision: Decision, held: tuple[str | None, bool] | None) -> None:
        """Keep each person's open cases in step with the case this decision is about.

        The engine moves the load itself when it assigns: one case more for whom it chose, one
        fewer for whom had it. The replay adds what the engine does not see: a case resolved or
        closed stops counting against its assignee, and a reopened one counts again.
        """
        staffing = self.staffing
        assert staffing is not None
        holder, counted = held if held is not None else (None, False)
        if self.tally is not None:
            self.tally.take(decision.actions, holder)
        # What this case adds to each person's load, as the engine left it...
        load: Counter[str] = Counter()
        if holder is not None and counted:
            load[holder] += 1
        current = holder
        for action in decision.actions:
            if action.action == "assign":
                if current is not None:
                    load[current] -= 1
                current = action.details.get("assignee")
                if current is not None:
                    load[current] += 1
        # ...and what it should add: one for its assignee while it is not resolved or closed.
        state = decision.state
        if state.assignee is not None and state.status not in STOPPED_STATUSES:
            load[state.assignee] -= 1
        for person, extra in load.items():
            for _ in range(extra):
                staffing.release(person)
            for _ in range(-extra):
                staffing.take(person)

    def _skip(self, number: int, reason: str) -> None:
        self.builder.skipped += 1
        if self.on_skip is not None:
            self.on_skip(number, reason)
