"""Clocks that cannot be gamed: the moves that stop a clock without serving the customer.

Four are flagged, each once where it happens:
- `unanswered`: the case is set to wait for the customer, or for a third party the SLA pauses
  on, while the customer's last message (first or next response) is still unanswered;
- `near_breach`: a pause starts after a running clock's warning instant and before its due
  instant (the SLA's own `warn_at`);
- `repeated_pauses`: the case enters a pause for the third time;
- `premature`: the customer reopens a resolution within a day of it.
The engine emits each as a clock event `flag.REASON` and fires `clock.suspicious`.
"""

from __future__ import annotations

from escalon.core.policy.compiled import Policy
from escalon.core.sla import reach
from escalon.core.state import CaseState

REASONS = ("unanswered", "near_breach", "repeated_pauses", "premature")
REPEATED_PAUSES = 3
PREMATURE_WITHIN_US = 24 * 3_600_000_000
_ANSWERS = ("first_response", "next_response")
# Statuses that say someone else's move is awaited: entered (and pausing the clocks) while the
# customer still waits for an answer, they stop the clock without serving them.
_WAITING_ON_OTHERS = frozenset({"pending_customer", "pending_third_party"})


def pausing_statuses(policy: Policy, state: CaseState) -> frozenset[str]:
    """The statuses that pause the case's clocks under its SLA (none without an SLA)."""
    if state.sla is None:
        return frozenset()
    return frozenset(policy.slas[state.sla].pause_on)


def on_pause(policy: Policy, state: CaseState, status: str, at: int) -> list[tuple[str, str]]:
    """(reason, metric) for each flag raised by moving the case into `status` at `at`, read
    before the move; nothing when `status` does not start a pause."""
    pausing = pausing_statuses(policy, state)
    if status not in pausing or state.status in pausing:
        return []
    flags: list[tuple[str, str]] = []
    if status in _WAITING_ON_OTHERS:
        for metric in _ANSWERS:
            cycle = state.clocks.get(metric)
            if cycle is not None and cycle.ended_at is None:
                flags.append(("unanswered", metric))
                break
    near = _near_breach(policy, state, at)
    if near is not None:
        flags.append(("near_breach", near))
    if _pauses(state.status_log, pausing) + 1 == REPEATED_PAUSES:
        flags.append(("repeated_pauses", "resolution"))
    return flags


def _near_breach(policy: Policy, state: CaseState, at: int) -> str | None:
    """The first running clock whose warning instant has passed but not its due instant."""
    if state.sla is None:
        return None
    sla = policy.slas[state.sla]
    for metric, cycle in state.clocks.items():
        target = sla.targets.get(metric)
        if target is None or cycle.ended_at is not None or cycle.breached_at is not None:
            continue
        warn = reach(policy, state, cycle.started_at, round(target * sla.warn_at))
        due = reach(policy, state, cycle.started_at, target)
        if warn is not None and due is not None and warn <= at < due:
            return metric
    return None


def reopened_too_soon(state: CaseState, at: int) -> bool:
    """Whether a customer's message at `at` reopens a resolution made less than a day before."""
    return (
        state.status == "resolved"
        and state.resolved_at is not None
        and at - state.resolved_at < PREMATURE_WITHIN_US
    )


def _pauses(log: tuple[tuple[int, str], ...], pausing: frozenset[str]) -> int:
    """How many times the status log enters a pausing status."""
    entered, paused = 0, False
    for _at, status in log:
        now_paused = status in pausing
        if now_paused and not paused:
            entered += 1
        paused = now_paused
    return entered
