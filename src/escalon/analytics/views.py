"""HTTP endpoint for the KPI summary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from escalon.analytics.kpis import KpiSummary, summary
from escalon.auth.access import Staff
from escalon.core.state import to_us
from escalon.errors import Invalid, error_responses
from escalon.request_params import DateTime, instant_us

router = APIRouter(prefix="/api/v1", tags=["analytics"])
US_PER_DAY = 86_400_000_000
# The summary shows its window's ends as date-times, so they stay within years 1 to 9999 (UTC).
FIRST_US = to_us(datetime.min.replace(tzinfo=UTC))
LAST_US = to_us(datetime.max.replace(tzinfo=UTC))


@router.get("/kpis", responses=error_responses(401, 403, 422))
def kpis(
    context: Staff,
    since: Annotated[
        DateTime | None, Query(description="start of the window (default: 30 days ago)")
    ] = None,
    until: Annotated[DateTime | None, Query(description="end of the window (default: now)")] = None,
) -> KpiSummary:
    """Escalation rate, time to resolve, SLA compliance, CSAT and first-contact resolution."""
    now = context.now()
    end = instant_us(until, "until") if until is not None else now + 1  # up to and including now
    start = instant_us(since, "since") if since is not None else end - 30 * US_PER_DAY
    if start >= end:
        raise Invalid("since must be before until")
    if start < FIRST_US or end > LAST_US:
        raise Invalid("the window must lie between the years 1 and 9999 (UTC)")
    with context.db.read() as session:
        return summary(session, since=start, until=end, now=now)
