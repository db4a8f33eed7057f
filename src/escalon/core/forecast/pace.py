"""What a breach forecast needs from the other cases: each team's pace and its queue.

`PaceBook` counts a team's answers by hour of the week from some instant on and turns them into
a `WeeklyPace` once it has seen a whole week and enough answers; `TeamQueues` keeps each team's
open cases ordered by their nearest due instant, so the cases in front of one are a bisection
away. The replay feeds both as it goes (so it forecasts from the past only); the live service
fills them from its database.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass, field

from escalon.core.forecast.breach import WeeklyPace
from escalon.core.forecast.staffing import HOUR_US, WEEK_HOURS, WEEK_US, hour_of_week, weekly_means

# A team's pace is known once a whole week has been seen and it gave this many answers.
MIN_ANSWERS = 20


@dataclass(slots=True)
class PaceBook:
    """Answers per team and hour of the week, counted from `since`."""

    since: int
    min_answers: int = MIN_ANSWERS
    _counts: dict[str, list[int]] = field(default_factory=dict)
    _totals: dict[str, int] = field(default_factory=dict)
    # (team, hour) -> the pace worked out in that hour: counts change often, paces hourly.
    _paces: dict[str, tuple[int, WeeklyPace | None]] = field(default_factory=dict)

    def answered(self, team: str, at: int) -> None:
        """A person of `team` answered a case at `at`."""
        counts = self._counts.get(team)
        if counts is None:
            counts = self._counts[team] = [0] * WEEK_HOURS
        counts[hour_of_week(at)] += 1
        self._totals[team] = self._totals.get(team, 0) + 1

    def pace(self, team: str, now: int) -> WeeklyPace | None:
        """The team's weekly pace as seen up to `now` (None: not a week yet, or too few answers)."""
        hour = now // HOUR_US
        known = self._paces.get(team)
        if known is not None and known[0] == hour:
            return known[1]
        pace: WeeklyPace | None = None
        counts = self._counts.get(team)
        enough = self._totals.get(team, 0) >= self.min_answers
        if counts is not None and enough and now - self.since >= WEEK_US:
            pace = WeeklyPace(weekly_means(counts, self.since, hour * HOUR_US))
        self._paces[team] = (hour, pace)
        return pace


@dataclass(slots=True)
class TeamQueues:
    """Each team's open cases by their nearest due instant."""

    _queues: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    _places: dict[str, tuple[str, int]] = field(default_factory=dict)  # case -> (team, due)

    def place(self, case: str, team: str | None, due: int | None) -> None:
        """Put a case in its team's queue at its due instant (None: out of every queue)."""
        known = self._places.get(case)
        if known is not None:
            if team is not None and known == (team, due):
                return
            queue = self._queues[known[0]]
            del queue[bisect_left(queue, (known[1], case))]
            del self._places[case]
        if team is not None and due is not None:
            insort(self._queues.setdefault(team, []), (due, case))
            self._places[case] = (team, due)

    def ahead(self, case: str, team: str, due: int) -> int:
        """How many other cases of the team fall due before `due`."""
        queue = self._queues.get(team)
        if not queue:
            return 0
        position = bisect_left(queue, (due, ""))
        mine = self._places.get(case)
        if mine is not None and mine[0] == team and mine[1] < due:
            position -= 1
        return position

    def waiting(self, team: str) -> int:
        """How many cases of the team wait in its queue."""
        return len(self._queues.get(team, ()))

    @classmethod
    def of(cls, entries: Iterable[tuple[str, str, int]]) -> TeamQueues:
        """Queues from (case, team, due) rows."""
        queues = cls()
        for case, team, due in entries:
            queues.place(case, team, due)
        return queues
