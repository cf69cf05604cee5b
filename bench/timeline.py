"""A simulated clock that makes things happen at given moments as time passes it.

Staff change appointments at random times, also while a tick is in the middle of its
calls (simulated time passes inside the latency adapter); each change happens at exactly
its moment, so the sandbox stamps it with that moment.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

from integrations.clock import SimulatedClock


class Timeline(SimulatedClock):
    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start)
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._firing = False

    def at(self, elapsed: float, action: Callable[[], None]) -> None:
        """Run `action` when `monotonic()` reaches `elapsed`."""
        heapq.heappush(self._due, (elapsed, next(self._order), action))

    def advance(self, seconds: float) -> None:
        target = self.monotonic() + seconds
        # An action runs with time stopped at its moment; one that reads the clock
        # (the sandbox stamping a change) must not move it again.
        while not self._firing and self._due and self._due[0][0] <= target:
            when, _, action = heapq.heappop(self._due)
            super().advance(max(0.0, when - self.monotonic()))
            self._firing = True
            try:
                action()
            finally:
                self._firing = False
        super().advance(max(0.0, target - self.monotonic()))

    def run_until(self, elapsed: float) -> None:
        self.advance(max(0.0, elapsed - self.monotonic()))
