"""A hybrid logical clock: wall-clock milliseconds in the high bits, a counter in the low 16.

Times from it are monotonic on one machine and move past any time received from another
machine, so "later" means the same thing on every replica even when clocks are skewed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

COUNTER_BITS = 16


def wall_ms() -> int:
    return int(time.time() * 1000)


class HybridClock:
    def __init__(self, last: int = 0, wall: Callable[[], int] = wall_ms):
        self.last = last
        self.wall = wall

    def now(self) -> int:
        """A new local time, later than every time seen so far."""
        candidate = self.wall() << COUNTER_BITS
        self.last = max(candidate, self.last + 1)
        return self.last

    def observe(self, remote: int) -> None:
        """Take note of a time from another machine."""
        self.last = max(self.last, remote)


def to_iso(hlc: int) -> str:
    """The wall-clock part of an HLC time as an ISO-8601 UTC string."""
    ms = hlc >> COUNTER_BITS
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")
