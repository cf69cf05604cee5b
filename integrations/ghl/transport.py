"""The GoHighLevel HTTP layer: auth headers, the Version header, and per-location
rate limits (client-side 100 per 10 s, the X-RateLimit-* headers, burst and
daily 429s). Endpoints live in `client.py`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import requests

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.auth import TokenSource
from integrations.ghl.errors import GHL_ERROR_TABLE, SYSTEM, daily_limit_error
from integrations.ghl.oauth import API_VERSION, GHL_API_BASE_URL
from integrations.http import DEFAULT_TIMEOUT, ApiClientBase, ErrorKind
from integrations.ratelimit import SlidingWindowLimiter

BURST_MAX_CALLS = 100
BURST_WINDOW_SECONDS = 10.0
MAX_BURST_WAIT_SECONDS = 30.0  # the SDK-JS cap: an absurd interval header cannot stall a worker


def location_limiter(*, clock: Clock = SYSTEM_CLOCK) -> SlidingWindowLimiter:
    """The client-side limiter; share one per process so all clients of a location count."""
    return SlidingWindowLimiter(max_calls=BURST_MAX_CALLS, per_seconds=BURST_WINDOW_SECONDS,
                                clock=clock)


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


def daily_reset_parse(headers: Mapping[str, str], *, now: datetime) -> datetime:
    """When the daily quota comes back.

    `x-ratelimit-daily-reset` is read by the official JS SDK but its unit is not
    documented: accept epoch milliseconds, epoch seconds or seconds-from-now, and
    fall back to the next UTC midnight when it is absent.
    """
    value = _header_number(headers, "X-RateLimit-Daily-Reset")
    if value is None:
        tomorrow = (now.astimezone(UTC) + timedelta(days=1)).date()
        return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
    if value > 1e11:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if value > 1e9:
        return datetime.fromtimestamp(value, tz=UTC)
    return now + timedelta(seconds=value)


class GhlHttp(ApiClientBase):
    """Sends one location's requests; every method of `GhlClient` goes through `send`."""

    system = SYSTEM
    error_table = GHL_ERROR_TABLE

    def __init__(self, *, tokens: TokenSource, base_url: str = GHL_API_BASE_URL,
                 session: requests.Session | None = None, clock: Clock = SYSTEM_CLOCK,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 limiter: SlidingWindowLimiter | None = None) -> None:
        super().__init__(base_url=base_url, session=session, clock=clock, timeout=timeout)
        self.tokens = tokens
        self.location_id = tokens.location_id
        self.limiter = limiter or location_limiter(clock=clock)
        self.daily_remaining: float | None = None
        self.daily_resets_at: datetime | None = None
        self._burst_open_at = 0.0  # monotonic time the server said the window reopens
        self._token = ""

    def auth_headers(self) -> dict[str, str]:
        self._token = self.tokens.access_token()
        return {"Authorization": f"Bearer {self._token}", "Version": API_VERSION,
                "Accept": "application/json"}

    def refresh_auth(self) -> None:
        self.tokens.access_token_renew(rejected=self._token)

    def wait_for_slot(self, limiter_key: str) -> None:
        if self.daily_resets_at is not None:
            if self.clock.now() < self.daily_resets_at:
                raise daily_limit_error(self.daily_resets_at)
            self.daily_resets_at = None
        wait = self._burst_open_at - self.clock.monotonic()
        if wait > 0:
            self.clock.sleep(wait)
        self.limiter.acquire(self.location_id)

    def observe(self, response: requests.Response) -> None:
        headers = response.headers
        self.daily_remaining = _header_number(headers, "X-RateLimit-Daily-Remaining")
        if response.status_code == 429 and self.daily_remaining is not None \
                and self.daily_remaining <= 0:
            self.daily_resets_at = daily_reset_parse(headers, now=self.clock.now())
            raise daily_limit_error(self.daily_resets_at)
        remaining = _header_number(headers, "X-RateLimit-Remaining")
        if response.status_code < 400 and remaining is not None and remaining <= 0:
            # Another client of this location used the window up: wait before the next call.
            self._burst_open_at = self.clock.monotonic() + self._interval_seconds(headers)

    def _interval_seconds(self, headers: Mapping[str, str]) -> float:
        interval_ms = _header_number(headers, "X-RateLimit-Interval-Milliseconds")
        seconds = interval_ms / 1000 if interval_ms else BURST_WINDOW_SECONDS
        return min(seconds, MAX_BURST_WAIT_SECONDS)

    def backoff_seconds(self, kind: ErrorKind, attempt: int,
                        response: requests.Response | None) -> float:
        if kind is ErrorKind.RATE_LIMITED and response is not None:
            return self._interval_seconds(response.headers)
        return super().backoff_seconds(kind, attempt, response)
