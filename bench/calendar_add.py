"""Benchmark `Calendar.add` against pandas `CustomBusinessHour` on the same inputs.

Run: `python -m bench.calendar_add [--n 100000] [--seed 1]` (CI runs `--n 1000`).

Calendar: Europe/Berlin, Monday to Friday 09:00-17:00, the Berlin public holidays of 2026 and 2027
(10 a year) plus 2028-01-01. Starts: uniformly random minutes over 2026-2027, so most fall outside
hours and some on holidays or weekends. Durations: 1 to 240 business hours (30 business days).

pandas adds whole business hours only (`n` of an offset is an integer), so the comparison uses
whole hours; a second Escalon run uses minute-granular durations (1 to 14,400 minutes) and one
runs the integer API. pandas works on naive wall times: each start is converted to Berlin wall
time and its tzinfo dropped. That is exact here: every clock change in Berlin falls on a Sunday
night, outside business hours, so naive wall-clock arithmetic gives the same answers and every
result (a weekday between 09:00 and 17:00) is an unambiguous wall time.

pandas rolls a deadline that lands exactly on a closing time to the next opening (17:00 becomes
09:00 the next business day); the contract keeps 17:00. The benchmark reports the raw
disagreements and the ones left after mapping an Escalon deadline at a closing time to the next
opening.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from escalon import Calendar

HOLIDAYS = [
    # 2026: New Year, Good Friday, Easter Monday, Labour Day, Ascension, Whit Monday,
    # German Unity, Christmas; International Women's Day is a Berlin holiday.
    "2026-01-01",
    "2026-03-08",
    "2026-04-03",
    "2026-04-06",
    "2026-05-01",
    "2026-05-14",
    "2026-05-25",
    "2026-10-03",
    "2026-12-25",
    "2026-12-26",
    "2027-01-01",
    "2027-03-08",
    "2027-03-26",
    "2027-03-29",
    "2027-05-01",
    "2027-05-06",
    "2027-05-17",
    "2027-10-03",
    "2027-12-25",
    "2027-12-26",
    "2028-01-01",
]

SPEC: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": HOLIDAYS,
}


def make_inputs(
    cal: Calendar, n: int, seed: int
) -> tuple[list[datetime], list[int], list[timedelta]]:
    """Random starts (aware, Berlin), whole-hour counts and minute-granular durations."""
    rng = random.Random(seed)
    first = int(datetime(2026, 1, 1, tzinfo=cal.timezone).timestamp()) // 60
    last = int(datetime(2028, 1, 1, tzinfo=cal.timezone).timestamp()) // 60
    starts = [
        datetime.fromtimestamp(60 * rng.randrange(first, last), cal.timezone) for _ in range(n)
    ]
    hours = [rng.randint(1, 240) for _ in range(n)]
    minutes = [timedelta(minutes=rng.randint(1, 240 * 60)) for _ in range(n)]
    return starts, hours, minutes


def rate(n: int, seconds: float) -> float:
    """Calls per second."""
    return n / seconds if seconds > 0 else float("inf")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.calendar_add", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="number of (start, duration) pairs")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)
    n: int = args.n

    cal = Calendar.from_dict(SPEC, name="berlin-office")
    starts, hours, minutes = make_inputs(cal, n, args.seed)
    durations = [timedelta(hours=h) for h in hours]
    outside = sum(not cal.is_open(s) for s in starts)
    on_holiday = sum(s.date() in cal.holidays for s in starts)
    print(f"calendar: Europe/Berlin, Mon-Fri 09:00-17:00, {len(HOLIDAYS)} holidays (2026-2028)")
    print(
        f"inputs: {n:,} starts over 2026-2027 ({outside / n:.0%} outside hours, "
        f"{on_holiday / n:.1%} on holidays), durations 1-240 business hours"
    )

    add = cal.add
    t0 = time.perf_counter()
    ours = [add(s, d) for s, d in zip(starts, durations, strict=True)]
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = [add(s, d) for s, d in zip(starts, durations, strict=True)]
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s, d in zip(starts, minutes, strict=True):
        add(s, d)
    by_minute = time.perf_counter() - t0

    epoch = datetime(1970, 1, 1, tzinfo=cal.timezone)
    one_us = timedelta(microseconds=1)
    ints = [((s - epoch) // one_us, d // one_us) for s, d in zip(starts, durations, strict=True)]
    add_us = cal.add_us
    t0 = time.perf_counter()
    for s_us, d_us in ints:
        add_us(s_us, d_us)
    integer = time.perf_counter() - t0

    print(f"escalon add, datetime API, whole hours:   {rate(n, warm):>12,.0f} calls/s")
    print(f"  (first pass, building the caches:       {rate(n, cold):>12,.0f} calls/s)")
    print(f"escalon add, datetime API, minutes:       {rate(n, by_minute):>12,.0f} calls/s")
    print(f"escalon add_us, integer API:              {rate(n, integer):>12,.0f} calls/s")

    try:
        import pandas as pd
        from pandas.tseries.offsets import CustomBusinessHour
    except ImportError:
        print("pandas is not installed (pip install -e '.[bench]'): no comparison")
        return 0

    business_hour = CustomBusinessHour(start="09:00", end="17:00", holidays=HOLIDAYS)
    # Offsets and naive wall-clock starts are prepared outside the timing, as for Escalon.
    offsets = {h: h * business_hour for h in set(hours)}
    naive = [pd.Timestamp(s.replace(tzinfo=None)) for s in starts]
    theirs_offsets = [offsets[h] for h in hours]
    t0 = time.perf_counter()
    theirs = [s + o for s, o in zip(naive, theirs_offsets, strict=True)]
    pandas_seconds = time.perf_counter() - t0

    raw: list[int] = []
    at_closing: list[int] = []
    semantic: list[int] = []
    for i, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        if mine.replace(tzinfo=None) != other.to_pydatetime():
            raw.append(i)
            if not cal.is_open(mine):
                at_closing.append(i)
            # pandas moves a deadline at closing time to the next opening; map ours the same way.
            if cal.next_open(mine).replace(tzinfo=None) != other.to_pydatetime():
                semantic.append(i)

    ours_rate, pandas_rate = rate(n, warm), rate(n, pandas_seconds)
    print(f"pandas CustomBusinessHour, start + n*BH:  {pandas_rate:>12,.0f} calls/s")
    print(f"ratio escalon / pandas:                   {ours_rate / pandas_rate:>12.1f} x")
    print(
        f"disagreements: {len(raw):,} raw ({len(raw) / n:.1%}), of which {len(at_closing):,} "
        "are Escalon deadlines at a closing time that pandas moves to the next opening"
    )
    print(f"disagreements after mapping closing times to the next opening: {len(semantic):,}")
    label = "disagreement" if semantic else "raw disagreement"
    for i in (semantic or raw)[:3]:
        print(
            f"  {label}: start {starts[i].isoformat()} + {hours[i]} h: escalon "
            f"{ours[i].isoformat()}, pandas {theirs[i].isoformat()}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
