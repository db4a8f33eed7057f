"""Where the service reads the time: injected everywhere, so tests move it by hand."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Protocol

from escalon.core.state import from_us, to_us


class Clock(Protocol):
    """The current instant, in microseconds since the Unix epoch (UTC)."""

    def now_us(self) -> int:
        """The current instant."""
        ...


class SystemClock:
    """The machine's clock."""

    def now_us(self) -> int:
        """The current instant."""
        return time.time_ns() // 1000


class ManualClock:
    """A clock that only moves when told to (tests, demos, replays of the live flows)."""

    def __init__(self, start: datetime | int) -> None:
        self._now = start if isinstance(start, int) else to_us(start)
        self._lock = threading.Lock()

    def now_us(self) -> int:
        """The current instant."""
        with self._lock:
            return self._now

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        return from_us(self.now_us())

    def set(self, moment: datetime | int) -> None:
        """Jump to an instant."""
        with self._lock:
            self._now = moment if isinstance(moment, int) else to_us(moment)

    def advance(self, *, seconds: float = 0, minutes: float = 0, hours: float = 0) -> None:
        """Move forward."""
        with self._lock:
            self._now += round((seconds + 60 * minutes + 3600 * hours) * 1_000_000)
