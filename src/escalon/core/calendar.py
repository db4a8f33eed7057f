"""Business calendars: open hours, holidays and business-time arithmetic.

The contract is the "Calendars" section of docs/policy-format.md; docs/calendars.md explains the
decisions taken where the contract is silent and the performance design.

Every instant is handled internally as an integer number of microseconds since the Unix epoch
(UTC). The open time of a calendar is a union of real (UTC) intervals, materialised lazily in
blocks of 64 local weeks ("chunks") with prefix sums of business time, so a query is a couple of
bisections. Chunks between two instants are never materialised: a chunk's business total is
`regular weeks * W + totals of its anomalous weeks`, where W is the business length of a week
without holidays or clock changes, and a week is anomalous only if a holiday or a UTC-offset
change touches it.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Calendar", "CalendarError"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_US_PER_S = 1_000_000
_MIN_US = 60 * _US_PER_S
_DAY_MIN = 1440
_DAY_US = 86_400 * _US_PER_S
_WEEK_US = 7 * _DAY_US
_CHUNK_WEEKS = 64
_CHUNK_US = _CHUNK_WEEKS * _WEEK_US
# Materialised chunks kept in memory; skeletons (a few hundred ints each) are kept forever.
_MAX_CHUNKS = 16

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD = date(1970, 1, 1).toordinal()
_MON0_ORD = date(1970, 1, 5).toordinal()  # the Monday that starts week 0
_MIN_ORD = date(1, 1, 1).toordinal()
_MAX_ORD = date(9999, 12, 31).toordinal()
_ONE_US = timedelta(microseconds=1)
_MIDNIGHT = time(0)
# Latest instant a result can have (end of year 9999 UTC, minus a day of offset).
_MAX_US = (_MAX_ORD - _EPOCH_ORD) * _DAY_US
# Below this magnitude `fromtimestamp(us / 1e6)` is exact: the float spacing stays under 1 µs.
_FLOAT_EXACT_US = 4_000_000_000_000_000

_INTERVAL_RE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_DATE_RE = re.compile(r"\d{4}-\d\d-\d\d")
_KNOWN_KEYS = frozenset({"timezone", "hours", "holidays"})

_fromtimestamp = datetime.fromtimestamp

# A chunk: (lo_us, hi_us, starts, ends, cum, chunk_index). `cum[i]` is the business time of the
# chunk before interval i; len(cum) == len(starts) + 1.
_Chunk = tuple[int, int, list[int], list[int], list[int], int]
# A wall-clock interval of a weekday: (start minute, end minute counted from the same midnight);
# 0 <= start < 1440 and start < end <= start + 1440, so end > 1440 means it runs into the next day.
_Span = tuple[int, int]


class CalendarError(ValueError):
    """A calendar definition or a calendar argument is invalid."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, str]] = list(problems or [])


class _Skeleton:
    """What a chunk needs for arithmetic: week boundaries, anomalous weeks and the total."""

    __slots__ = ("anomalies", "mondays", "total")

    def __init__(
        self, mondays: list[int], anomalies: dict[int, list[tuple[int, int]]], total: int
    ) -> None:
        self.mondays = mondays
        self.anomalies = anomalies
        self.total = total


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_interval(text: str) -> _Span | None:
    match = _INTERVAL_RE.fullmatch(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        return None
    start = h1 * 60 + m1
    end = h2 * 60 + m2
    # An end at or before the start crosses midnight (so "09:00-09:00" is a full 24 h).
    return (start, end if end > start else end + _DAY_MIN)


def _parse(
    d: object,
) -> tuple[list[tuple[str, str]], ZoneInfo | None, list[list[_Span]] | None, set[date]]:
    """Check a calendar mapping; return the problems and whatever could be parsed."""
    problems: list[tuple[str, str]] = []
    if not isinstance(d, Mapping):
        problems.append(("", f"a calendar must be a mapping, not {type(d).__name__}"))
        return problems, None, None, set()
    for key in d:
        if key not in _KNOWN_KEYS:
            problems.append(
                (str(key), "unknown field (a calendar has timezone, hours and holidays)")
            )
    tz = _parse_timezone(d.get("timezone"), problems)
    week = _parse_hours(d.get("hours"), problems)
    holidays = _parse_holidays(d.get("holidays", []), problems)
    return problems, tz, week, holidays


def _parse_timezone(raw: object, problems: list[tuple[str, str]]) -> ZoneInfo | None:
    """The calendar's zone, or None with a problem noted."""
    if raw is None:
        problems.append(("timezone", "missing; give an IANA time zone name such as Europe/Berlin"))
    elif not isinstance(raw, str) or not raw.strip():
        problems.append(("timezone", f"{raw!r} is not an IANA time zone name"))
    else:
        try:
            return ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            problems.append(("timezone", f'"{raw}" is not a known IANA time zone'))
    return None


def _parse_hours(raw: object, problems: list[tuple[str, str]]) -> list[list[_Span]] | None:
    """Each weekday's open spans, or None for "always"; problems are noted as found."""
    week: list[list[_Span]] = [[] for _ in WEEKDAYS]
    if raw is None:
        problems.append(("hours", 'missing; give weekday intervals or "always"'))
    elif isinstance(raw, str):
        if raw == "always":
            return None
        problems.append(("hours", f'"{raw}" is neither "always" nor a weekday mapping'))
    elif not isinstance(raw, Mapping):
        problems.append(("hours", 'must be "always" or a mapping of weekdays (mon..sun)'))
    else:
        found: list[tuple[int, int, _Span, str]] = []  # weekday, index, span, text
        for day, intervals in raw.items():
            path = f"hours.{day}"
            if day not in WEEKDAYS:
                problems.append((path, f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})"))
                continue
            if not isinstance(intervals, list):
                problems.append(
                    (path, 'must be a list of "HH:MM-HH:MM" intervals (use [] for a closed day)')
                )
                continue
            wd = WEEKDAYS.index(day)
            for i, item in enumerate(intervals):
                span = _parse_interval(item) if isinstance(item, str) else None
                if span is None:
                    shown = f'"{item}"' if isinstance(item, str) else repr(item)
                    problems.append(
                        (
                            f"{path}[{i}]",
                            f"{shown} is not HH:MM-HH:MM (hours 00-23, end 24:00 allowed)",
                        )
                    )
                    continue
                week[wd].append(span)
                found.append((wd, i, span, item))
        problems.extend(_overlaps(found))
    return week


def _parse_holidays(raw: object, problems: list[tuple[str, str]]) -> set[date]:
    """The holiday dates that parse; problems are noted for the others."""
    holidays: set[date] = set()
    if raw is None:
        return holidays
    if not isinstance(raw, list):
        problems.append(("holidays", "must be a list of dates (YYYY-MM-DD)"))
        return holidays
    for i, item in enumerate(raw):
        day_ = _parse_holiday(item)
        if day_ is None:
            shown = f'"{item}"' if isinstance(item, str) else repr(item)
            problems.append((f"holidays[{i}]", f"{shown} is not a date (YYYY-MM-DD)"))
        else:
            holidays.add(day_)
    return holidays


def _parse_holiday(item: object) -> date | None:
    if isinstance(item, datetime):
        return None  # a date-time is not a local date; refuse rather than guess
    if isinstance(item, date):
        return item
    if isinstance(item, str) and _DATE_RE.fullmatch(item):
        try:
            return date.fromisoformat(item)
        except ValueError:
            return None
    return None


def _overlaps(found: list[tuple[int, int, _Span, str]]) -> list[tuple[str, str]]:
    """Overlapping pairs on the weekly circle, so a Sunday night runs into Monday."""
    problems: list[tuple[str, str]] = []
    week_min = 7 * _DAY_MIN
    for a in range(len(found)):
        wd1, i1, (s1, e1), t1 = found[a]
        start1 = wd1 * _DAY_MIN + s1
        for b in range(a + 1, len(found)):
            wd2, i2, (s2, e2), t2 = found[b]
            start2 = wd2 * _DAY_MIN + s2
            if (start2 - start1) % week_min < e1 - s1 or (start1 - start2) % week_min < e2 - s2:
                note = "".join(
                    f"; {WEEKDAYS[wd]} {text} runs into {WEEKDAYS[(wd + 1) % 7]}"
                    f" until {_hhmm(end - _DAY_MIN)}"
                    for wd, end, text in ((wd1, e1, t1), (wd2, e2, t2))
                    if end > _DAY_MIN
                )
                problems.append(
                    (
                        f"hours.{WEEKDAYS[wd2]}[{i2}]",
                        f'"{t2}" overlaps hours.{WEEKDAYS[wd1]}[{i1}] "{t1}"{note}',
                    )
                )
    return problems


def _merge(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of half-open intervals; touching intervals are joined, empty ones dropped."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(p for p in pieces if p[1] > p[0]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _to_us_slow(value: object, what: str) -> int:
    """Convert an aware datetime to µs, with the error the fast paths only raise on failure."""
    if not isinstance(value, datetime):
        raise CalendarError(f"{what} must be an aware datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise CalendarError(
            f"{what} is a naive datetime ({value.isoformat()}); give it a time zone, "
            "e.g. datetime(..., tzinfo=ZoneInfo('Europe/Berlin'))"
        )
    return (value - _EPOCH) // _ONE_US


def _duration_us(value: object) -> int:
    if not isinstance(value, timedelta):
        raise CalendarError(f"the duration must be a timedelta, not {type(value).__name__}")
    return value // _ONE_US


class Calendar:
    """A business calendar: weekly open hours in a time zone, minus holidays."""

    __slots__ = (
        "_base",
        "_chunks",
        "_holiday_ords",
        "_lock",
        "_prefix",
        "_skeletons",
        "_template",
        "_trivial",
        "_week",
        "_weekly_us",
        "always",
        "holidays",
        "name",
        "timezone",
    )

    def __init__(
        self,
        tz: ZoneInfo,
        week: list[list[_Span]] | None,
        holidays: set[date] | frozenset[date] = frozenset(),
        *,
        name: str | None = None,
    ) -> None:
        """Build from parsed parts; use `from_dict` or `from_yaml_text` for user input."""
        self.timezone = tz
        self.name = name
        self.always = week is None
        self.holidays = frozenset(holidays)
        spans = [[(0, _DAY_MIN)] for _ in WEEKDAYS] if week is None else week
        self._week: tuple[tuple[_Span, ...], ...] = tuple(tuple(sorted(d)) for d in spans)
        self._holiday_ords = sorted(h.toordinal() for h in self.holidays)
        self._template = self._build_template()
        self._weekly_us = sum(e - s for s, e in self._template)
        # Open at every instant: the local days partition the real line, whatever the offsets.
        self._trivial = week is None and not self.holidays
        self._chunks: dict[int, _Chunk] = {}
        self._skeletons: dict[int, _Skeleton] = {}
        self._prefix: tuple[int, list[int]] | None = None
        # Guards the lazy caches when they grow; the hot paths only read them.
        self._lock = threading.RLock()
        # Any offset will do for guessing a chunk from an instant: the guess is checked.
        guess = datetime(2000, 1, 3, tzinfo=tz).utcoffset() or timedelta(0)
        self._base = (_MON0_ORD - _EPOCH_ORD) * _DAY_US - guess // _ONE_US

    # ---------------------------------------------------------------- construction

    @staticmethod
    def validate(d: object) -> list[tuple[str, str]]:
        """Return every problem of a calendar mapping as (field path, problem) pairs."""
        return _parse(d)[0]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, name: str | None = None) -> Calendar:
        """Build a calendar from its policy mapping; raise CalendarError naming every bad field."""
        problems, tz, week, holidays = _parse(d)
        if problems or tz is None:
            where = f"calendar {name}: " if name else ""
            text = "; ".join(f"{path}: {why}" if path else why for path, why in problems)
            raise CalendarError(where + text, problems)
        return cls(tz, week, holidays, name=name)

    @classmethod
    def from_yaml_text(
        cls, text: str, source: str, *, name: str | None = None, default_name: str | None = None
    ) -> Calendar:
        """One calendar mapping from a YAML document, or `name` from its `calendars:`.

        `source` names the document in errors (its file); a lone calendar without a `name`
        is called `default_name` (its file's stem).
        """
        import yaml

        from escalon.core import documents

        limits = documents.CALENDAR
        try:
            data = documents.load_yaml(text, limits)
        except documents.LimitExceeded as exc:
            where = f"{source}:{exc.line}" if exc.line is not None else source
            raise CalendarError(f"{where}: the calendar {exc.message}") from None
        except yaml.YAMLError as exc:
            raise CalendarError(f"{source}: not valid YAML: {exc}") from exc
        if isinstance(data, Mapping) and "calendars" in data and "timezone" not in data:
            calendars = data["calendars"]
            if not isinstance(calendars, Mapping) or not calendars:
                raise CalendarError(f"{source}: calendars: must be a mapping of named calendars")
            if name is None:
                if len(calendars) != 1:
                    names = ", ".join(str(k) for k in calendars)
                    raise CalendarError(
                        f"{source}: several calendars ({names}); choose one by name"
                    )
                name = str(next(iter(calendars)))
            if name not in calendars:
                names = ", ".join(str(k) for k in calendars)
                raise CalendarError(f"{source}: no calendar named {name!r} (found: {names})")
            data = calendars[name]
            prefix = f"calendars.{name}."
        else:
            name = name or default_name
            prefix = ""
        if not isinstance(data, Mapping):
            raise CalendarError(f"{source}: a calendar must be a mapping")
        problems = cls.validate(data)
        if problems:
            text = "; ".join(f"{prefix}{p}: {why}" if p else why for p, why in problems)
            raise CalendarError(f"{source}: {text}", problems)
        return cls.from_dict(data, name=name)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The caches and the lock are rebuilt, not pickled.
        week = None if self.always else [list(spans) for spans in self._week]
        return (_restore, (self.timezone.key, week, sorted(self.holidays), self.name))

    def __repr__(self) -> str:
        kind = "always" if self.always else "weekly"
        return f"Calendar(name={self.name!r}, timezone={self.timezone.key!r}, hours={kind})"

    @property
    def weekly_hours(self) -> timedelta:
        """Business time of a week without holidays or clock changes (zero: never open)."""
        return timedelta(microseconds=self._weekly_us)

    # ---------------------------------------------------------------- datetime API

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the earliest instant with `duration` of business time since `start`."""
        try:
            s = (start - _EPOCH) // _ONE_US
        except TypeError:
            s = _to_us_slow(start, "start")
        try:
            d = duration // _ONE_US
        except TypeError:
            d = _duration_us(duration)
        if d < 0:
            raise CalendarError(
                f"cannot add a negative duration ({duration}): business time only moves forward"
            )
        r = self.add_us(s, d)
        if r % _US_PER_S == 0:
            return _fromtimestamp(r // _US_PER_S, self.timezone)
        return self._from_us(r)

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Return the business time inside [a, b); negative when b is before a."""
        try:
            ua = (a - _EPOCH) // _ONE_US
        except TypeError:
            ua = _to_us_slow(a, "a")
        try:
            ub = (b - _EPOCH) // _ONE_US
        except TypeError:
            ub = _to_us_slow(b, "b")
        return timedelta(microseconds=self.between_us(ua, ub))

    def is_open(self, t: datetime) -> bool:
        """Return whether `t` lies inside an open interval."""
        try:
            u = (t - _EPOCH) // _ONE_US
        except TypeError:
            u = _to_us_slow(t, "t")
        return self.is_open_us(u)

    def next_open(self, t: datetime) -> datetime:
        """Return `t` if open, else the start of the next open interval."""
        try:
            u = (t - _EPOCH) // _ONE_US
        except TypeError:
            u = _to_us_slow(t, "t")
        return self._from_us(self.next_open_us(u))

    def _from_us(self, us: int) -> datetime:
        q, m = divmod(us, _US_PER_S)
        try:
            if m == 0:
                return _fromtimestamp(q, self.timezone)
            if -_FLOAT_EXACT_US < us < _FLOAT_EXACT_US:
                return _fromtimestamp(us / 1e6, self.timezone)
            # `replace` keeps `fold`, so a repeated wall time stays the right occurrence.
            return _fromtimestamp(q, self.timezone).replace(microsecond=m)
        except (OverflowError, ValueError, OSError) as exc:
            raise CalendarError(f"instant {us} µs is outside the supported range") from exc

    # ---------------------------------------------------------------- integer API

    def add_us(self, start_us: int, d_us: int) -> int:
        """Return the earliest instant (µs since the epoch) d_us of business time after start_us."""
        if d_us <= 0:
            if d_us == 0:
                return start_us
            raise CalendarError(
                f"cannot add a negative duration ({d_us} µs): business time only moves forward"
            )
        if self._trivial:
            return start_us + d_us
        ch = self._chunks.get((start_us - self._base) // _CHUNK_US)
        if ch is None or start_us < ch[0] or start_us >= ch[1]:
            ch = self._chunk_at(start_us)
        starts = ch[2]
        cum = ch[4]
        i = bisect_right(starts, start_us)
        if i:
            j = i - 1
            pos = cum[j] + start_us - starts[j] if start_us < ch[3][j] else cum[i]
        else:
            pos = 0
        target = pos + d_us
        if target <= cum[-1]:
            j = bisect_left(cum, target) - 1
            return starts[j] + target - cum[j]
        return self._add_far(ch[5], target, start_us + d_us)

    def between_us(self, a_us: int, b_us: int) -> int:
        """Return the business µs inside [a_us, b_us); negative when b_us < a_us."""
        if b_us < a_us:
            return -self.between_us(b_us, a_us)
        if self._trivial:
            return b_us - a_us
        cha = self._chunks.get((a_us - self._base) // _CHUNK_US)
        if cha is None or a_us < cha[0] or a_us >= cha[1]:
            cha = self._chunk_at(a_us)
        if b_us < cha[1]:
            return _position(cha, b_us) - _position(cha, a_us)
        chb = self._chunk_at(b_us)
        before_b = self._prefix_at(chb[5])
        before_a = self._prefix_at(cha[5])
        return before_b + _position(chb, b_us) - before_a - _position(cha, a_us)

    def is_open_us(self, t_us: int) -> bool:
        """Return whether t_us lies inside an open interval."""
        if self._trivial:
            return True
        ch = self._chunks.get((t_us - self._base) // _CHUNK_US)
        if ch is None or t_us < ch[0] or t_us >= ch[1]:
            ch = self._chunk_at(t_us)
        i = bisect_right(ch[2], t_us)
        return bool(i) and t_us < ch[3][i - 1]

    def next_open_us(self, t_us: int) -> int:
        """Return t_us if open, else the start of the next open interval."""
        if self._trivial:
            return t_us
        ch = self._chunk_at(t_us)
        starts = ch[2]
        i = bisect_right(starts, t_us)
        if i and t_us < ch[3][i - 1]:
            return t_us
        if i < len(starts):
            return starts[i]
        if not self._weekly_us:
            raise CalendarError(self._no_hours())
        c = ch[5] + 1
        # Only chunks made entirely of holidays are passed over here.
        while not self._skeleton(c).total:
            c += 1
        return self._chunk(c)[2][0]

    def intervals_us(self, start_us: int, end_us: int) -> list[tuple[int, int]]:
        """The open intervals that overlap [start_us, end_us), clipped to it, in order."""
        if start_us >= end_us:
            return []
        if self._trivial:
            return [(start_us, end_us)]
        found: list[tuple[int, int]] = []
        t = start_us
        while t < end_us:
            ch = self._chunk_at(t)
            starts, ends = ch[2], ch[3]
            for i in range(bisect_right(ends, t), len(starts)):
                begin, finish = starts[i], ends[i]
                if begin >= end_us:
                    return found
                begin, finish = max(begin, start_us), min(finish, end_us)
                if found and found[-1][1] == begin:
                    # One interval split across two chunks.
                    found[-1] = (found[-1][0], finish)
                else:
                    found.append((begin, finish))
            t = ch[1]
        return found

    # ---------------------------------------------------------------- machinery

    def _no_hours(self) -> str:
        label = f"calendar {self.name}" if self.name else "calendar"
        return f"{label} has no business hours: no weekday has an open interval"

    def _add_far(self, c: int, target: int, bound_us: int) -> int:
        """Finish `add` when the deadline lies beyond chunk c (target counted from its start)."""
        if not self._weekly_us:
            raise CalendarError(self._no_hours())
        if bound_us > _MAX_US:
            # Business time never outruns real time, so the deadline would pass year 9999.
            raise CalendarError("the deadline would fall after year 9999")
        with self._lock:
            goal = self._prefix_at(c) + target
            assert self._prefix is not None
            c_lo, prefix = self._prefix
            while prefix[-1] < goal:
                prefix.append(prefix[-1] + self._skeleton(c_lo + len(prefix) - 1).total)
        i = bisect_left(prefix, goal)
        ch = self._chunk(c_lo + i - 1)
        local = goal - prefix[i - 1]
        starts = ch[2]
        cum = ch[4]
        j = bisect_left(cum, local) - 1
        return starts[j] + local - cum[j]

    def _prefix_at(self, c: int) -> int:
        """Business µs from the start of a fixed origin chunk to the start of chunk c.

        The origin is the first chunk ever asked for, so values never change meaning; chunks
        before it get negative values.
        """
        with self._lock:
            return self._prefix_at_locked(c)

    def _prefix_at_locked(self, c: int) -> int:
        if self._prefix is None:
            self._prefix = (c, [0])
        c_lo, prefix = self._prefix
        if c < c_lo:
            # Rare: an instant before everything seen so far; prepend to a fresh list.
            value = prefix[0]
            before = []
            for k in range(c_lo - 1, c - 1, -1):
                value -= self._skeleton(k).total
                before.append(value)
            before.reverse()
            self._prefix = (c, before + prefix)
            return before[0]
        while c - c_lo >= len(prefix):
            prefix.append(prefix[-1] + self._skeleton(c_lo + len(prefix) - 1).total)
        return prefix[c - c_lo]

    def _chunk_at(self, t_us: int) -> _Chunk:
        """The materialised chunk whose real span holds t_us."""
        c = (t_us - self._base) // _CHUNK_US
        while True:
            ch = self._chunk(c)
            if t_us < ch[0]:
                c -= 1
            elif t_us >= ch[1]:
                c += 1
            else:
                return ch

    def _chunk(self, c: int) -> _Chunk:
        ch = self._chunks.get(c)
        if ch is not None:
            return ch
        with self._lock:
            return self._chunk_locked(c)

    def _chunk_locked(self, c: int) -> _Chunk:
        ch = self._chunks.get(c)
        if ch is not None:
            return ch
        sk = self._skeleton(c)
        starts: list[int] = []
        ends: list[int] = []
        template = self._template
        for j in range(_CHUNK_WEEKS):
            pieces = sk.anomalies.get(j)
            if pieces is None:
                m = sk.mondays[j]
                pieces = [(s + m, e + m) for s, e in template]
            for s, e in pieces:
                if ends and ends[-1] == s:
                    ends[-1] = e
                else:
                    starts.append(s)
                    ends.append(e)
        cum = [0]
        for s, e in zip(starts, ends, strict=True):
            cum.append(cum[-1] + e - s)
        ch = (sk.mondays[0], sk.mondays[-1], starts, ends, cum, c)
        if len(self._chunks) >= _MAX_CHUNKS:
            self._chunks.pop(next(iter(self._chunks)))
        self._chunks[c] = ch
        return ch

    def _skeleton(self, c: int) -> _Skeleton:
        """Week boundaries and anomalous weeks of chunk c, found without stepping through time."""
        sk = self._skeletons.get(c)
        if sk is not None:
            return sk
        with self._lock:
            sk = self._skeletons.get(c)
            if sk is None:
                sk = self._build_skeleton(c)
                self._skeletons[c] = sk
            return sk

    def _build_skeleton(self, c: int) -> _Skeleton:
        mon0 = _MON0_ORD + 7 * _CHUNK_WEEKS * c
        first = mon0 - 2
        last = mon0 + 7 * _CHUNK_WEEKS + 2
        if first - 3 < _MIN_ORD or last + 3 > _MAX_ORD:
            raise CalendarError("instant outside the supported range (years 1 to 9999)")
        offsets = self._midnight_offsets(first, last)
        mondays = [
            (mon0 + 7 * j - _EPOCH_ORD) * _DAY_US - offsets[7 * j + 2]
            for j in range(_CHUNK_WEEKS + 1)
        ]
        hols = self._holiday_ords
        anomalies: dict[int, list[tuple[int, int]]] = {}
        total = 0
        weekly = self._weekly_us
        for j in range(_CHUNK_WEEKS):
            mon = mon0 + 7 * j
            # A week is the template shifted when the offset is the same at every local
            # midnight from two days before it to two days after it (pieces of neighbouring
            # dates can only reach into it through an offset change) and no holiday is in it.
            near = offsets[7 * j : 7 * j + 12]
            h = bisect_left(hols, mon)
            regular = min(near) == max(near) and not (h < len(hols) and hols[h] <= mon + 6)
            if regular:
                total += weekly
            else:
                pieces = self._exact_week(mon, mondays[j], mondays[j + 1])
                anomalies[j] = pieces
                total += sum(e - s for s, e in pieces)
        return _Skeleton(mondays, anomalies, total)

    def _midnight_offsets(self, first: int, last: int) -> list[int]:
        """UTC offsets in µs of the local midnights (fold=0) of ordinals first..last."""
        tz = self.timezone
        day = datetime.combine(date.fromordinal(first), _MIDNIGHT, tzinfo=tz)
        step = timedelta(days=1)
        out: list[int] = []
        for _ in range(first, last + 1):
            off = day.utcoffset()
            out.append(0 if off is None else off // _ONE_US)
            day += step  # same tzinfo: wall-clock arithmetic, lands on the next local midnight
        return out

    def _wall_us(self, ordinal: int, minute: int) -> int:
        """The instant of a local wall time (fold=0: a skipped time uses the earlier offset)."""
        local = datetime.combine(date.fromordinal(ordinal), _MIDNIGHT, tzinfo=self.timezone)
        if minute:
            local += timedelta(minutes=minute)
        off = local.utcoffset()
        off_us = 0 if off is None else off // _ONE_US
        return (ordinal - _EPOCH_ORD) * _DAY_US + minute * _MIN_US - off_us

    def _exact_week(self, mon: int, lo: int, hi: int) -> list[tuple[int, int]]:
        """Open real intervals of the week [lo, hi) starting on local Monday `mon`."""
        holidays = self.holidays
        week = self._week
        pieces: list[tuple[int, int]] = []
        for o in range(mon - 2, mon + 9):
            if date.fromordinal(o) in holidays:
                continue  # the whole local date is closed, spill from the day before included
            wd = (o + 6) % 7
            for s, e in week[wd]:
                pieces.append((self._wall_us(o, s), self._wall_us(o, min(e, _DAY_MIN))))
            for _s, e in week[(wd + 6) % 7]:
                if e > _DAY_MIN:
                    pieces.append((self._wall_us(o, 0), self._wall_us(o, e - _DAY_MIN)))
        # Around a clock change converted pieces may overlap or invert: keep their union.
        out = []
        for s, e in _merge(pieces):
            s, e = max(s, lo), min(e, hi)
            if e > s:
                out.append((s, e))
        return out

    def _build_template(self) -> list[tuple[int, int]]:
        """Open intervals of a regular week, in µs from local Monday 00:00."""
        pieces: list[tuple[int, int]] = []
        for wd, spans in enumerate(self._week):
            day0 = wd * _DAY_MIN
            nxt = ((wd + 1) % 7) * _DAY_MIN
            for s, e in spans:
                pieces.append((day0 + s, day0 + min(e, _DAY_MIN)))
                if e > _DAY_MIN:
                    pieces.append((nxt, nxt + e - _DAY_MIN))  # Sunday night wraps to Monday
        return [(s * _MIN_US, e * _MIN_US) for s, e in _merge(pieces)]


def _restore(
    key: str, week: list[list[_Span]] | None, holidays: list[date], name: str | None
) -> Calendar:
    return Calendar(ZoneInfo(key), week, set(holidays), name=name)


def _position(ch: _Chunk, t: int) -> int:
    """Business µs of chunk `ch` before instant t (t inside or at the end of its span)."""
    starts = ch[2]
    i = bisect_right(starts, t)
    if not i:
        return 0
    j = i - 1
    cum = ch[4]
    return cum[j] + t - starts[j] if t < ch[3][j] else cum[i]
