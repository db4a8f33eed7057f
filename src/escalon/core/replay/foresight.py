"""The replay's breach forecast, learnt as the replay goes: from the past only.

It watches every decision: each answer (a reply clock met, or met late) counts towards its
team's pace, and each case takes its place in its team's queue by its nearest due instant. When
the engine looks at a clock (`sla.at_risk`), the forecast is the queue's estimate or, given a
fitted model, the model's reading of the same features; nothing is known until a team has been
watched for a whole week. A `on_look` callback sees every look with its features: the trainer
labels them with how the cycles ended.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from escalon.core.engine import Decision
from escalon.core.forecast.breach import (
    PROMISE_CONFIDENCE,
    BreachModel,
    Outlook,
    features,
    likely_answer_by,
    queue_probability,
)
from escalon.core.forecast.pace import PaceBook, TeamQueues
from escalon.core.policy.compiled import Policy
from escalon.core.sla import first_due_clock
from escalon.core.state import STOPPED_STATUSES, CaseState

# The clocks whose end is an answer from the team.
ANSWER_METRICS = frozenset({"first_response", "next_response", "periodic_update"})
ANSWERED = frozenset({"met", "breached"})


class Look(NamedTuple):
    """One look of the forecast at a running clock, as the trainer reads it."""

    case: str
    metric: str
    cycle: int
    at: int
    due: int
    priority: str
    share_used: float
    features: Mapping[str, float]
    queue: float  # the queue's estimate alone
    probability: float  # what the forecast said


class ReplayForesight:
    """A `Foresight` over the replayed cases, fed with every decision the replay takes."""

    def __init__(
        self,
        policy: Policy,
        *,
        model: BreachModel | None = None,
        on_look: Callable[[Look], None] | None = None,
    ) -> None:
        self.policy = policy
        self.model = model
        self.on_look = on_look
        self.paces: PaceBook | None = None
        self.queues = TeamQueues()

    def begin(self, at: int) -> None:
        """The replay's first instant: the pace is counted from here."""
        if self.paces is None:
            self.paces = PaceBook(since=at)

    def follow(self, decision: Decision) -> None:
        """Learn from one decision: answers for the pace, the case's place in its queue."""
        state = decision.state
        paces = self.paces
        if paces is not None:
            for event in decision.clock_events:
                if event.kind in ANSWERED and event.metric in ANSWER_METRICS:
                    paces.answered(state.team, event.at)
        if state.status in STOPPED_STATUSES:
            self.queues.place(state.case, None, None)
            return
        due, _, _ = first_due_clock(self.policy, state)
        self.queues.place(state.case, state.team, due)

    def answer_by(self, state: CaseState, metric: str, due: int, now: int) -> int | None:
        """When the team will likely have answered the clock (None until its pace is known)."""
        pace = None if self.paces is None else self.paces.pace(state.team, now)
        if pace is None:
            return None
        ahead = self.queues.ahead(state.case, state.team, due)
        return likely_answer_by(ahead, pace, now, confidence=PROMISE_CONFIDENCE)

    def breach_probability(
        self, state: CaseState, metric: str, due: int, target: int, now: int
    ) -> float | None:
        """The forecast for one clock (None until the team's pace is known)."""
        pace = None if self.paces is None else self.paces.pace(state.team, now)
        if pace is None:
            return None
        outlook = Outlook(
            self.queues.ahead(state.case, state.team, due),
            pace.expected(now, due),
            pace.now(now),
            0,
        )
        queue = 1.0 if due <= now else queue_probability(outlook)
        if self.model is None and self.on_look is None:
            return queue
        found = features(
            state,
            metric,
            outlook,
            now=now,
            due=due,
            target=target,
            priority_rank=self.policy.priority_rank.get(state.priority, 0),
        )
        probability = queue if self.model is None else self.model.probability(found)
        if self.on_look is not None:
            cycle = state.clocks[metric].number
            self.on_look(
                Look(
                    state.case,
                    metric,
                    cycle,
                    now,
                    due,
                    state.priority,
                    found["share_used"],
                    found,
                    queue,
                    probability,
                )
            )
        return probability
