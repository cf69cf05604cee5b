"""Client-side rate limiting: a sliding window per key (endpoint, location...)."""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from integrations.clock import SYSTEM_CLOCK, Clock


class SlidingWindowLimiter:
    """Allow at most `max_calls` per `per_seconds` for each key; `acquire` waits for a slot.

    Waiting happens through the clock, so a simulated clock turns waits into
    measured (not slept) time.
    """

    def __init__(self, *, max_calls: int, per_seconds: float, clock: Clock = SYSTEM_CLOCK) -> None:
        if max_calls < 1 or per_seconds <= 0:
            raise ValueError("a limiter needs at least one call per positive window")
        self.max_calls = max_calls
        self.per_seconds = per_seconds
        self.clock = clock
        self.waited_seconds = 0.0
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def acquire(self, key: str = "") -> float:
        """Take a slot for `key`, waiting if the window is full; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock.monotonic()
                calls = self._calls[key]
                while calls and calls[0] <= now - self.per_seconds:
                    calls.popleft()
                if len(calls) < self.max_calls:
                    calls.append(now)
                    self.waited_seconds += waited
                    return waited
                wait = calls[0] + self.per_seconds - now
            self.clock.sleep(wait)
            waited += wait
