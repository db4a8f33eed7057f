"""What a trainee did in one practice session, as the sandbox records it for scoring.

Times are microseconds since the scenario started, on the session's virtual clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the trainee wrote on the case (`public`: the customer sees it)."""

    at: int  # µs since the scenario started (virtual time)
    text: str
    public: bool = True


@dataclass(frozen=True, slots=True)
class Escalation:
    """One escalation of the case, by the trainee or by the policy."""

    at: int
    to_level: str
    from_level: str
    by_trainee: bool  # False: the policy (rule) or someone else did it
    rule: str | None = None  # the policy rule, when a rule did it
    reason: str | None = None  # the trainee's reason


@dataclass(frozen=True, slots=True)
class ApprovalMove:
    """What the trainee did with a decision such as a refund: passed it up or decided it."""

    at: int
    kind: str  # e.g. "refund"
    amount: float
    requested: bool  # the trainee asked for approval (passed it up)
    decided_by_trainee: bool  # the trainee approved/refused it themselves
    within_authority: bool  # the amount is within the trainee's authority for that kind


@dataclass(frozen=True, slots=True)
class Attempt:
    """Everything the scoring reads of one practice session."""

    customer_messages: tuple[int, ...]  # when each customer message arrived (µs since start)
    replies: tuple[Reply, ...]  # the trainee's messages, oldest first
    escalations: tuple[Escalation, ...]
    approvals: tuple[ApprovalMove, ...]
    trainee_level: str
    authority: Mapping[str, float | None]  # the trainee's limits by kind (None: unlimited)
    first_response_due: int | None  # µs since start, from the sandbox's SLA clock
    status: str  # the case's status at the end
    resolved_at: int | None
    finished_at: int  # when the session ended (µs since start)
    root_cause: str | None = None
