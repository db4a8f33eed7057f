"""The staffing page: per team and hour of the coming week, the people its history says it
needs against the people its roster has (supervisors, managers and admins)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from escalon.core.durations import US_PER_SECOND, format_duration
from escalon.core.forecast.staffing import StaffedHour, StaffingGoal
from escalon.core.state import from_us
from escalon.errors import Invalid
from escalon.forecast.staffing import DEFAULT_WEEKS, TeamStaffing, forecast, staffing_goal
from escalon.policies import service as policies
from escalon.web.access import scope_of
from escalon.web.common import Parts, Visit, page, supervisor_visit
from escalon.web.numbers_page import Param

router = APIRouter(prefix="/ui", include_in_schema=False)
_WHO = "Only supervisors and managers see the staffing forecast."
WEEK_CHOICES = (4, 8, 12)


@dataclass(frozen=True, slots=True)
class Day:
    """One row of a team's grid: a day's 24 hours."""

    label: str
    hours: tuple[StaffedHour | None, ...]  # by hour of the day; None: outside the 7 days


@dataclass(frozen=True, slots=True)
class StaffingPage:
    """What the page shows: the goal as asked, and each team's week as a grid of days."""

    goal: StaffingGoal
    target: str
    weeks: int
    teams: list[TeamStaffing]

    def days(self, team: TeamStaffing) -> list[Day]:
        """The team's hours by day (UTC), in order."""
        found: dict[str, list[StaffedHour | None]] = {}
        for hour in team.hours:
            start = from_us(hour.start_us)
            found.setdefault(f"{start:%a %-d %b}", [None] * 24)[start.hour] = hour
        return [Day(label, tuple(hours)) for label, hours in found.items()]


@router.get("/staffing", response_class=HTMLResponse)
def staffing_page(
    request: Request,
    parts: Parts,
    target: Param = None,
    goal: Param = None,
    shrinkage: Param = None,
    occupancy: Param = None,
    weeks: Param = None,
) -> Response:
    """Each team's next 7 days, hour by hour: needed against rostered, short hours marked."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, _WHO)
        if not isinstance(visit, Visit):
            return visit
        try:
            wanted = staffing_goal(
                policies.active(session),
                target=_short(target),
                goal=_short(goal),
                shrinkage=_short(shrinkage),
                occupancy=_short(occupancy),
            )
            history = _weeks(weeks)
        except Invalid as error:
            return page("notice.html", 400, title="Cannot forecast", text=str(error), visit=visit)
        scope = scope_of(session, visit, parts)
        teams = forecast(
            session,
            now_us=parts.clock.now_us(),
            goal=wanted,
            weeks=history,
            teams=None if scope.everything else scope.teams,
        )
    target_text = format_duration(round(wanted.target_seconds * US_PER_SECOND))
    content = StaffingPage(wanted, target_text, history, teams)
    return page("staffing.html", visit=visit, staffing=content, week_choices=WEEK_CHOICES)


def _short(value: str | None) -> str | None:
    """A query value, trimmed; Invalid when it is longer than any sensible one."""
    if value is None or not value.strip():
        return None
    if len(value) > 20:
        raise Invalid(f"{value[:20]!r}… is too long for a duration or a share")
    return value.strip()


def _weeks(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_WEEKS
    if not value.strip().isdigit() or not 1 <= int(value) <= 52:
        raise Invalid("weeks: a whole number of weeks from 1 to 52")
    return int(value)
