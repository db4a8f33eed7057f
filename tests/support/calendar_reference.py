"""A slow, obviously correct business calendar, to check `escalon.core.calendar` against.

It shares no code with the fast calendar. It walks local dates one at a time, turns every
interval piece of a date into UTC datetimes with the standard library (`fold=0`), and takes the
union of the pieces of a generous range of dates. It trusts its input to be valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_DAY = timedelta(days=1)
# Pieces of a date land within a day of its own local span (offsets differ by under a day), so
# including this many dates on each side makes a range's union complete.
MARGIN = 3

Interval = tuple[datetime, datetime]


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class ReferenceCalendar:
    """Business time computed date by date, as the contract words it."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.tz = ZoneInfo(spec["timezone"])
        self.hours: dict[int, list[tuple[int, int]]] = {}
        if spec["hours"] == "always":
            self.hours = {weekday: [(0, 1440)] for weekday in range(7)}
        else:
            for day, intervals in spec["hours"].items():
                pairs = []
                for text in intervals:
                    start, end = text.split("-")
                    pairs.append((_minutes(start), _minutes(end)))
                self.hours[DAYS.index(day)] = pairs
        self.holidays = {
            h if isinstance(h, date) else date.fromisoformat(h) for h in spec.get("holidays") or []
        }

    def _instant(self, day: date, minute: int) -> datetime:
        """The UTC instant of a local wall time on `day` (minute 1440 is the next midnight)."""
        if minute == 1440:
            day, minute = day + ONE_DAY, 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return local.astimezone(UTC)

    def pieces_of(self, day: date) -> list[Interval]:
        """The real intervals that the local date `day` contributes (empty on a holiday)."""
        if day in self.holidays:
            return []
        local: list[tuple[int, int]] = []
        for start, end in self.hours.get(day.weekday(), []):
            # An end at or before the start runs to midnight here and on into tomorrow.
            local.append((start, end if end > start else 1440))
        for start, end in self.hours.get((day - ONE_DAY).weekday(), []):
            if end <= start and end > 0:
                local.append((0, end))
        out = []
        for start, end in local:
            a, b = self._instant(day, start), self._instant(day, end)
            if b > a:  # a piece inverted or emptied by a clock change holds no time
                out.append((a, b))
        return out

    def open_intervals(self, first: date, last: date) -> list[Interval]:
        """Union of the pieces of the local dates first..last, sorted."""
        pieces: list[Interval] = []
        day = first
        while day <= last:
            pieces.extend(self.pieces_of(day))
            day += ONE_DAY
        pieces.sort()
        merged: list[Interval] = []
        for a, b in pieces:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def _date(self, t: datetime) -> date:
        return t.astimezone(self.tz).date()

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time inside [a, b), negative when b < a."""
        if b < a:
            return -self.between(b, a)
        # In UTC, datetime arithmetic is real elapsed time (same-zone arithmetic is wall time).
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        first = self._date(a) - MARGIN * ONE_DAY
        last = self._date(b) + MARGIN * ONE_DAY
        total = timedelta(0)
        for s, e in self.open_intervals(first, last):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += hi - lo
        return total

    def _scan(self, start: datetime, days: int) -> tuple[list[Interval], datetime]:
        """Open intervals from `start` on, complete up to the returned horizon."""
        start = start.astimezone(UTC)
        first = self._date(start) - MARGIN * ONE_DAY
        end_day = self._date(start) + days * ONE_DAY
        horizon = self._instant(end_day, 0)
        found = []
        for s, e in self.open_intervals(first, end_day + MARGIN * ONE_DAY):
            s, e = max(s, start), min(e, horizon)
            if e > s:
                found.append((s, e))
        return found, horizon

    def add(self, start: datetime, duration: timedelta, max_days: int = 40_000) -> datetime:
        """The earliest t with between(start, t) == duration."""
        if duration == timedelta(0):
            return start.astimezone(self.tz)
        start = start.astimezone(UTC)
        days = 16
        while days <= max_days:
            left = duration
            intervals, _ = self._scan(start, days)
            for s, e in intervals:
                if e - s >= left:
                    return (s + left).astimezone(self.tz)
                left -= e - s
            days *= 2
        raise ValueError("no deadline within the search range")

    def is_open(self, t: datetime) -> bool:
        """Whether t lies in an open interval."""
        t = t.astimezone(UTC)
        day = self._date(t)
        intervals = self.open_intervals(day - MARGIN * ONE_DAY, day + MARGIN * ONE_DAY)
        return any(s <= t < e for s, e in intervals)

    def next_open(self, t: datetime, max_days: int = 40_000) -> datetime:
        """t if open, else the start of the next open interval."""
        days = 16
        while days <= max_days:
            intervals, _ = self._scan(t, days)
            if intervals:
                return intervals[0][0].astimezone(self.tz)
            days *= 2
        raise ValueError("never open within the search range")
