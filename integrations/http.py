"""The shared HTTP base every external client stands on.

One place sets the timeout, retries, backs off, refreshes auth once on 401 and
turns every failure into an `ApiError` whose `kind` says what the caller must do.
Each client supplies its own error table (status -> kind) and backoff policy.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from http.cookiejar import DefaultCookiePolicy
from typing import Any, ClassVar

import requests

from integrations.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

# (connect, read) seconds: every request carries a timeout, always.
DEFAULT_TIMEOUT = (5.0, 30.0)
# Methods whose repeat can act twice: after a read timeout they are not re-sent blindly.
_NOT_REPLAYABLE = frozenset({"POST", "PATCH"})


# What `requests` looks up in the environment on every call when a session trusts it:
# proxies (whose no_proxy rule depends on each URL) and a CA bundle (fixed).
_PROXY_SETTINGS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_CA_BUNDLE_SETTINGS = ("requests_ca_bundle", "curl_ca_bundle")  # requests' order
_thread_sessions = threading.local()


def _environment_http() -> dict[str, str]:
    return {name.lower(): value for name, value in os.environ.items() if value}


def _environment_trust(session: requests.Session) -> None:
    """Let the session follow the environment's proxies and CA bundle, reading it once
    where it can: only proxies need `requests` to look again on every call."""
    environment = _environment_http()
    session.trust_env = any(name in environment for name in _PROXY_SETTINGS)
    bundle = next((environment[name] for name in _CA_BUNDLE_SETTINGS if name in environment),
                  None)
    if bundle is not None and not session.trust_env:
        session.verify = bundle


def thread_session() -> requests.Session:
    """This thread's kept-alive HTTP session, shared by every client the thread makes.

    A tick then reuses the connections (and TLS sessions) of the thread's last tick
    instead of opening new ones. Nothing of one practice stays on it for the next: the
    clients send their tokens and practice headers with each request, never on the
    session, and it keeps no cookie a server sets. A CA bundle set in the environment is
    read once; only proxies make each call scan the environment (5 of an idle tick's 27
    CPU ms when it did so for a CA bundle alone). A forked worker makes its own:
    sockets must not be shared across processes.
    """
    held = getattr(_thread_sessions, "held", None)
    if held is not None and held[0] == os.getpid():
        return held[1]
    session = requests.Session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    _environment_trust(session)
    _thread_sessions.held = (os.getpid(), session)
    return session


class ErrorKind(StrEnum):
    RETRY = "retry"  # transient (5xx, timeout, connection): try again later
    RATE_LIMITED = "rate_limited"  # back off, then try again
    REFRESH = "refresh"  # the access token is stale: refresh once, then retry
    CONFIG = "config"  # credentials or set-up are wrong: stop this practice and say so
    RECORD = "record"  # this one item is bad: dead-letter it and go on


# The default table; clients extend it with their own statuses.
BASE_ERROR_TABLE: Mapping[int, ErrorKind] = {
    400: ErrorKind.RECORD,
    401: ErrorKind.REFRESH,
    403: ErrorKind.CONFIG,
    404: ErrorKind.RECORD,
    409: ErrorKind.RECORD,
    422: ErrorKind.RECORD,
    429: ErrorKind.RATE_LIMITED,
}


def classify_status(status: int, table: Mapping[int, ErrorKind]) -> ErrorKind:
    if status in table:
        return table[status]
    if status >= 500:
        return ErrorKind.RETRY
    return ErrorKind.RECORD


@dataclass
class ApiError(Exception):
    """A failed call, classified. `detail` never holds request bodies or secrets."""

    system: str
    kind: ErrorKind
    status: int | None
    detail: str
    payload: Any = None  # the parsed error body, for callers that need vendor codes
    # `detail` quotes the remote server: whatever the far end chose to answer, which staff
    # pages show only as `error_summary` (the address may not even be the vendor's).
    detail_is_remote: bool = False

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.system}{status} ({self.kind}): {self.detail}"


def error_summary(error: ApiError) -> str:
    """A failure in words safe to show staff: our own detail, or for a remote server's
    answer only its HTTP status."""
    if error.detail_is_remote:
        return f"HTTP {error.status}"
    return error.detail


class RepeatedLinkError(ApiError):
    """A server handed back a next link we already followed: paging would never end."""


def follow_links(first: str, fetch: Any) -> Iterator[Any]:
    """Yield pages from `fetch(link) -> (page, next_link)` until an empty page or no link.

    Raises `RepeatedLinkError` instead of looping when a link comes back twice.
    """
    seen: set[str] = set()
    link: str | None = first
    while link:
        if link in seen:
            raise RepeatedLinkError("paging", ErrorKind.RETRY, None, "next link repeated")
        seen.add(link)
        page, link = fetch(link)
        if not page:
            return
        yield page


class ApiClientBase:
    """Send requests with timeout, limiter, retry/backoff and one auth refresh on 401."""

    system: ClassVar[str] = "api"
    error_table: ClassVar[Mapping[int, ErrorKind]] = BASE_ERROR_TABLE
    max_attempts: ClassVar[int] = 5
    max_backoff_seconds: ClassVar[float] = 60.0

    def __init__(
        self,
        *,
        base_url: str,
        session: requests.Session | None = None,
        clock: Clock = SYSTEM_CLOCK,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or thread_session()
        self.clock = clock
        self.timeout = timeout
        self.calls = 0  # requests sent, including retries and token calls

    # Hooks for subclasses ---------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {}

    def refresh_auth(self) -> None:
        """Get a new access token; subclasses with tokens override."""
        raise ApiError(self.system, ErrorKind.CONFIG, 401, "credentials were rejected")

    def wait_for_slot(self, limiter_key: str) -> None:
        """Client-side rate limiting before each request; subclasses override."""

    def observe(self, response: requests.Response) -> None:
        """Read what a response says about limits; subclasses override."""

    def backoff_seconds(
        self, kind: ErrorKind, attempt: int, response: requests.Response | None
    ) -> float:
        """Exponential backoff with full jitter; never trusts Retry-After."""
        ceiling = min(self.max_backoff_seconds, 0.5 * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto

    def classify(self, response: requests.Response) -> ErrorKind:
        return classify_status(response.status_code, self.error_table)

    def error_detail(self, response: requests.Response) -> tuple[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            return response.reason or "error", None
        return response.reason or "error", payload

    # The one request path ---------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        limiter_key: str | None = None,
        authenticated: bool = True,
    ) -> requests.Response:
        url = self.url(path)
        key = limiter_key or path.split("?")[0]
        refreshed = False
        for attempt in range(1, self.max_attempts + 1):
            self.wait_for_slot(key)
            request_headers = {**(self.auth_headers() if authenticated else {}), **(headers or {})}
            self.calls += 1
            response: requests.Response | None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=request_headers,
                    timeout=self.timeout,
                )
            except requests.ReadTimeout as exc:
                if method.upper() in _NOT_REPLAYABLE:
                    # The server had the request and may have acted on it (a note written):
                    # sending it again could do it twice. The caller retries later, after
                    # checking whether it landed.
                    raise ApiError(self.system, ErrorKind.RETRY, None,
                                   "ReadTimeout: no answer; not sent again") from exc
                response, kind, detail, payload = None, ErrorKind.RETRY, type(exc).__name__, None
            except (requests.Timeout, requests.ConnectionError) as exc:
                response, kind, detail, payload = None, ErrorKind.RETRY, type(exc).__name__, None
            else:
                self.observe(response)
                if response.status_code < 400:
                    return response
                kind = self.classify(response)
                detail, payload = self.error_detail(response)
            # Only the path is logged: queries can carry names and birth dates.
            log.info(
                "%s %s %s -> %s",
                self.system,
                method,
                url.split("?")[0],
                response.status_code if response is not None else detail,
            )
            if kind is ErrorKind.REFRESH and authenticated and not refreshed:
                self.refresh_auth()
                refreshed = True
                continue
            if kind is ErrorKind.REFRESH:
                kind = ErrorKind.CONFIG
            if kind in (ErrorKind.RETRY, ErrorKind.RATE_LIMITED) and attempt < self.max_attempts:
                self.clock.sleep(self.backoff_seconds(kind, attempt, response))
                continue
            status = response.status_code if response is not None else None
            raise ApiError(self.system, kind, status, detail, payload,
                           detail_is_remote=response is not None)
        raise AssertionError("unreachable: the loop returns or raises")
