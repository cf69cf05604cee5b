"""How GoHighLevel failures are classified: one table, plus the two errors callers
must treat specially (daily quota spent, a connection that needs a human)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from integrations.http import BASE_ERROR_TABLE, ApiError, ErrorKind

SYSTEM = "ghl"

# The API: 401 means the access token is stale (refresh once, then retry);
# 403 means the token lacks the location or scope, which only a reconnect fixes.
GHL_ERROR_TABLE: Mapping[int, ErrorKind] = {
    **BASE_ERROR_TABLE,
    400: ErrorKind.RECORD,
    401: ErrorKind.REFRESH,
    403: ErrorKind.CONFIG,
    404: ErrorKind.RECORD,
    422: ErrorKind.RECORD,
    429: ErrorKind.RATE_LIMITED,
}

# The token endpoints: any refusal means the grant itself is bad (spent refresh
# token, revoked install, wrong client secret); retrying cannot help.
OAUTH_ERROR_TABLE: Mapping[int, ErrorKind] = {
    **BASE_ERROR_TABLE,
    400: ErrorKind.CONFIG,
    401: ErrorKind.CONFIG,
    403: ErrorKind.CONFIG,
    422: ErrorKind.CONFIG,
}

RECONNECT_MESSAGE = "needs attention: reconnect GoHighLevel"


@dataclass
class DailyLimitExhausted(ApiError):
    """The location's daily request quota is spent: stop writing until `resets_at`."""

    resets_at: datetime | None = None

    def __str__(self) -> str:
        until = self.resets_at.isoformat() if self.resets_at else "the daily reset"
        return f"{self.system} daily request limit reached: writes stop until {until}"


def daily_limit_error(resets_at: datetime) -> DailyLimitExhausted:
    return DailyLimitExhausted(SYSTEM, ErrorKind.RATE_LIMITED, 429,
                               "daily request limit reached", None, resets_at=resets_at)


def reconnect_error(detail: str, *, status: int | None = None,
                    detail_is_remote: bool = False) -> ApiError:
    """The connection cannot heal by itself; the practice must reconnect GoHighLevel."""
    return ApiError(SYSTEM, ErrorKind.CONFIG, status, f"{RECONNECT_MESSAGE} ({detail})",
                    detail_is_remote=detail_is_remote)
