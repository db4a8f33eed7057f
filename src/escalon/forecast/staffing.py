"""The staffing forecast of each team: its history read from the database, sized per hour of
the coming week, set against its roster (`core.forecast.staffing` does the arithmetic)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case, Escalation, Message
from escalon.core.durations import US_PER_SECOND, parse_duration, parse_fraction
from escalon.core.forecast.erlang import StaffingError
from escalon.core.forecast.staffing import (
    HOUR_US,
    MONDAY_OFFSET_HOURS,
    WEEK_HOURS,
    WEEK_US,
    Demand,
    StaffedHour,
    StaffingGoal,
    staffed_hours,
    weekly_means,
    whole_hours,
)
from escalon.core.policy import Policy
from escalon.errors import Invalid
from escalon.people import staffing as people_staffing
from escalon.people.models import Agent, Team, team_members
from escalon.policies import service as policies

# Fewer cases with time recorded than this, and the team's handle time is the assumed one.
MIN_MEASURED_CASES = 10
DEFAULT_WEEKS = 8
# The goal unless one is asked for: 80 % within the target, 30 % of rostered time away from
# the queue, people at most 85 % busy (common planning figures).
DEFAULT_GOAL = 0.8
DEFAULT_SHRINKAGE = 0.3
DEFAULT_MAX_OCCUPANCY = 0.85


@dataclass(frozen=True, slots=True)
class Assumptions:
    """What the forecast takes where history is silent (ESCALON_STAFFING_HANDLE_SECONDS); the
    composition root installs them in the database's info, so every session reads the same."""

    KEY: ClassVar[str] = "escalon.forecast.assumptions"
    handle_seconds: float = 900.0

    def install(self, info: dict[str, Any]) -> None:
        """Put these in a database's (or session's) info."""
        info[self.KEY] = self

    @classmethod
    def of(cls, session: Session) -> Assumptions:
        """The assumptions installed for the session's database (else the defaults)."""
        found = session.info.get(cls.KEY)
        return found if isinstance(found, Assumptions) else cls()


@dataclass(frozen=True, slots=True)
class TeamStaffing:
    """One team's coming week."""

    team: str
    people: int
    demand: Demand
    hours: tuple[StaffedHour, ...]

    @property
    def understaffed(self) -> tuple[StaffedHour, ...]:
        """The hours with fewer people than they need."""
        return tuple(hour for hour in self.hours if hour.short)


def forecast(
    session: Session,
    *,
    now_us: int,
    goal: StaffingGoal,
    weeks: int = DEFAULT_WEEKS,
    teams: Iterable[str] | None = None,
) -> list[TeamStaffing]:
    """Every team's (or the named teams') next 7 days, from the last `weeks` weeks."""
    since = now_us - weeks * WEEK_US
    names = sorted(teams) if teams is not None else list(session.scalars(select(Team.name)))
    arrivals = _arrivals(session, policies.active(session), since, now_us)
    handle = time_spent(session, since, now_us)
    crew = people_staffing.staffing(session)
    assumed = Assumptions.of(session).handle_seconds
    found = []
    for name in sorted(names):
        staff = crew.team(name)
        if staff is None:
            continue
        seconds, cases = handle.get(name, (0, 0))
        measured = cases >= MIN_MEASURED_CASES
        demand = Demand(
            weekly_means(arrivals.get(name, [0] * WEEK_HOURS), since, now_us),
            seconds / cases if measured else assumed,
            cases if measured else 0,
        )
        try:
            hours = staffed_hours(demand, goal, staff.members, now_us)
        except StaffingError as error:
            raise Invalid(f"team {name} cannot be sized: {error}") from None
        found.append(TeamStaffing(name, len(staff.members), demand, hours))
    return found


def _arrivals(
    session: Session, policy: Policy | None, since: int, until: int
) -> dict[str, list[int]]:
    """Per team, the cases that reached it in each hour of the week over the window's whole
    hours: opened there (a case that moved since: in the team its first move left), or moved
    there by an escalation or a route. Counted by the database in a few grouped rows."""
    first, last = whole_hours(since, until)
    teams_of = {level.name: level.team for level in policy.levels} if policy else {}
    found: dict[str, list[int]] = defaultdict(lambda: [0] * WEEK_HOURS)
    in_window = (Case.opened_at >= first, Case.opened_at < last)
    opened = _hour_of_week(Case.opened_at)
    for team, slot, count in session.execute(
        select(Case.team, opened, func.count()).where(*in_window).group_by(Case.team, opened)
    ):
        found[team][slot] += count
    # A case that moved was opened where its first move left, not where it is now.
    firsts = (
        select(Escalation.case_id, func.min(Escalation.id).label("first_id"))
        .where(Escalation.at >= first)
        .group_by(Escalation.case_id)
        .subquery()
    )
    moved_cases = session.execute(
        select(Case.team, Escalation.from_team, Escalation.from_level, opened, func.count())
        .join(firsts, firsts.c.case_id == Case.id)
        .join(Escalation, Escalation.id == firsts.c.first_id)
        .where(*in_window)
        .group_by(Case.team, Escalation.from_team, Escalation.from_level, opened)
    )
    for now_in, from_team, from_level, slot, count in moved_cases:
        origin = from_team or teams_of.get(from_level or "") or now_in
        found[now_in][slot] -= count
        found[origin][slot] += count
    moved = _hour_of_week(Escalation.at)
    moves = session.execute(
        select(
            Escalation.from_team,
            Escalation.from_level,
            Escalation.to_team,
            Escalation.to_level,
            moved,
            func.count(),
        )
        .where(Escalation.at >= first, Escalation.at < last)
        .group_by(
            Escalation.from_team,
            Escalation.from_level,
            Escalation.to_team,
            Escalation.to_level,
            moved,
        )
    )
    for from_team, from_level, to_team, to_level, slot, count in moves:
        left = from_team or teams_of.get(from_level or "")
        reached = to_team or teams_of.get(to_level or "")
        if reached and reached != left:
            found[reached][slot] += count
    return found


def _hour_of_week(instant: Any) -> Any:
    """The hour of the week of an instant column (Monday 00:00 UTC is 0), in integer
    arithmetic both databases share."""
    return (instant // HOUR_US + MONDAY_OFFSET_HOURS) % WEEK_HOURS


def time_spent(session: Session, since: int, until: int) -> dict[str, tuple[int, int]]:
    """Per team: the seconds its people recorded on messages, and on how many cases."""
    rows = session.execute(
        select(
            Team.name,
            func.sum(Message.time_spent_seconds),
            func.count(func.distinct(Message.case_id)),
        )
        .join(Agent, Agent.handle == Message.author)
        .join(team_members, team_members.c.agent_id == Agent.id)
        .join(Team, Team.id == team_members.c.team_id)
        .where(
            Message.author_kind == "agent",
            Message.time_spent_seconds.is_not(None),
            Message.at >= since,
            Message.at < until,
        )
        .group_by(Team.name)
    ).all()
    return {name: (int(seconds or 0), int(cases)) for name, seconds, cases in rows}


def default_target_seconds(policy: Policy | None) -> float:
    """The first-response target of the policy's catch-all SLA (the one without `when`, else
    the last): the target most cases are held to. An hour when there is none."""
    if policy is not None and policy.slas:
        catch_all = next((sla for sla in policy.slas if sla.when is None), policy.slas[-1])
        target = catch_all.targets.first_response
        if target is not None:
            return target / US_PER_SECOND
    return 3600.0


def staffing_goal(
    policy: Policy | None,
    *,
    target: str | None = None,
    goal: str | None = None,
    shrinkage: str | None = None,
    occupancy: str | None = None,
) -> StaffingGoal:
    """The goal as a person or a program wrote it (blank: the defaults); Invalid naming the
    field when a value cannot be read."""
    return StaffingGoal(
        target_seconds=read_seconds("target", target) if target else default_target_seconds(policy),
        goal=_read("goal", goal, _fraction) if goal else DEFAULT_GOAL,
        shrinkage=_read("shrinkage", shrinkage, _share_or_zero) if shrinkage else DEFAULT_SHRINKAGE,
        max_occupancy=_read("occupancy", occupancy, _fraction)
        if occupancy
        else DEFAULT_MAX_OCCUPANCY,
    )


def _read(field: str, text: str, reader: Callable[[str], float]) -> float:
    try:
        return reader(text.strip())
    except ValueError as error:
        raise Invalid(f"{field}: {error}") from None


def read_seconds(field: str, text: str) -> float:
    """A duration such as `20s` or `1h30m` in seconds; Invalid naming the field."""
    return _read(field, text, lambda written: parse_duration(written) / US_PER_SECOND)


def _fraction(text: str) -> float:
    try:
        number: str | float = float(text)
    except ValueError:
        number = text
    value = parse_fraction(number)
    if value >= 1 and not text.endswith("%"):
        raise ValueError("must be below 1")
    return value


def _share_or_zero(text: str) -> float:
    if text.rstrip("%").strip() in {"0", "0.0"}:
        return 0.0
    value = _fraction(text)
    if value >= 1:
        raise ValueError("must be below 100%")
    return value
