"""Token pairs and where they are kept.

Refresh tokens rotate: each refresh spends the old one [DOC:Authorization]. Two
workers refreshing the same location at once would leave one of them holding a
spent token and could lose the grant, so every refresh happens inside
`TokenStore.locked()`, which serializes per location and re-reads the stored pair.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

UserType = Literal["Location", "Company"]


@dataclass(frozen=True)
class TokenPair:
    """An access token, the refresh token that renews it (if any) and when it expires.

    `repr` never shows a token: pairs end up in tracebacks and debug logs.
    """

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None  # None: does not expire (private integration token)
    location_id: str | None
    company_id: str | None = None
    user_type: UserType = "Location"
    scope: str = ""

    def __repr__(self) -> str:
        return (f"TokenPair(location_id={self.location_id!r}, company_id={self.company_id!r}, "
                f"user_type={self.user_type!r}, expires_at={self.expires_at!r}, tokens=<hidden>)")

    __str__ = __repr__

    def expires_within(self, *, margin: timedelta, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at - margin <= now

    def with_access(self, *, access_token: str, expires_at: datetime | None) -> TokenPair:
        return replace(self, access_token=access_token, expires_at=expires_at)


class TokenStore(Protocol):
    """Persistence for one location's (or one company's) token pair.

    `locked()` blocks other refreshers of the same pair (the tenants app uses a
    PostgreSQL row lock) and yields the pair as stored *now*, so a worker that
    waited sees a refresh another worker just made instead of spending its token.
    `save()` is called inside `locked()` and must persist before the lock is released.
    """

    def load(self) -> TokenPair | None: ...

    def save(self, pair: TokenPair) -> None: ...

    def locked(self) -> AbstractContextManager[TokenPair | None]: ...


class InMemoryTokenStore:
    """A thread-safe `TokenStore` for tests, the sandbox demo and one-off scripts."""

    def __init__(self, pair: TokenPair | None = None) -> None:
        self._pair = pair
        self._refresh_lock = threading.Lock()
        self._data_lock = threading.Lock()
        self.saves = 0

    def load(self) -> TokenPair | None:
        with self._data_lock:
            return self._pair

    def save(self, pair: TokenPair) -> None:
        with self._data_lock:
            self._pair = pair
            self.saves += 1

    @contextmanager
    def _locked(self) -> Iterator[TokenPair | None]:
        with self._refresh_lock:
            yield self.load()

    def locked(self) -> AbstractContextManager[TokenPair | None]:
        return self._locked()
