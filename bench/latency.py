"""Network latency for the sandboxes, on whatever clock the run uses.

In-process (`LatentAdapter`) the wait goes through the clock: a `SimulatedClock` turns it
into simulated time at no wall-clock cost, the system clock really sleeps. Over HTTP
(`LatentApp`) the server thread sleeps before answering, outside the sandbox's lock, so
concurrent requests wait concurrently as they would on a real network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import requests

from integrations.clock import Clock
from integrations.sandbox_kit.transport import WSGIAdapter, WSGIApp

API_CALL_SECONDS = 0.1  # issue 8: 100 ms per API call


class LatentAdapter(WSGIAdapter):
    """An in-process transport whose every request costs `seconds` on `clock`.

    Half is spent before the sandbox sees the request and half after it answers, so the
    sandbox stamps a change half-way through the call, as a remote server would.
    """

    def __init__(self, app: WSGIApp, *, clock: Clock, seconds: float) -> None:
        super().__init__(app)
        self.clock = clock
        self.seconds = seconds
        self.statuses: Counter[int] = Counter()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        self.clock.sleep(self.seconds / 2)
        response = super().send(request, *args, **kwargs)
        self.statuses[response.status_code] += 1
        self.clock.sleep(self.seconds / 2)
        return response


class LatentApp:
    """A WSGI middleware that answers every request `seconds` late (for `BackgroundServer`)."""

    def __init__(self, app: WSGIApp, *, clock: Clock, seconds: float) -> None:
        self.app = app
        self.clock = clock
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.clock.sleep(self.seconds)
        return self.app(environ, start_response)
