"""Daily work claimed by one process: a run row keyed "daily:DAY" and held under a lease.

The first process to insert the day's row holds it. A process that died leaves its lease to run
out; then exactly one other process takes the run over (its conditional update returns the row),
up to a number of attempts, after which the run is marked failed. Topic runs and escalation-risk
fittings both keep such rows: `id`, `claim_key`, `status`, `attempts`, `lease_until`,
`finished_at` and `error`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from escalon.database.base import table_of

DAY_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class Claim:
    """A run this process holds: its row and which attempt this is."""

    run_id: int
    attempt: int


def daily_key(now: int) -> str:
    """The claim of the worker's run on the UTC day of `now`."""
    return f"daily:{now // DAY_US}"


def take_over(
    session: Session,
    model: Any,
    *,
    key: str,
    now: int,
    lease_us: int,
    max_attempts: int,
    log: logging.Logger,
) -> Claim | None:
    """Take over the day's run whose lease ran out (one process of those trying wins), or mark
    it failed once it has used up its attempts; None when it is not to be taken."""
    runs = table_of(model)
    taken = session.execute(
        update(runs)
        .where(
            runs.c.claim_key == key,
            runs.c.status == "running",
            runs.c.lease_until < now,
            runs.c.attempts < max_attempts,
        )
        .values(attempts=runs.c.attempts + 1, lease_until=now + lease_us)
        .returning(runs.c.id, runs.c.attempts)
    ).first()
    if taken is not None:
        log.info("%s %s taken over after its lease ran out", runs.name, taken[0])
        return Claim(int(taken[0]), int(taken[1]))
    session.execute(
        update(runs)
        .where(
            runs.c.claim_key == key,
            runs.c.status == "running",
            runs.c.lease_until < now,
            runs.c.attempts >= max_attempts,
        )
        .values(status="failed", finished_at=now, error="gave up: no attempt finished")
    )
    return None
