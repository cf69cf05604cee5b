"""Every Nextech failure, classified once (STYLE: one table decides what the caller does)."""

from __future__ import annotations

from collections.abc import Mapping

from integrations.http import BASE_ERROR_TABLE, ApiError, ErrorKind

# 401: refresh once, then a config error (ApiClientBase does the "once").
# 403: the API user lost access to the practice: stop and tell the agency.
# 408 and 5xx: transient, retried with a cap; 429: back off (no Retry-After is promised).
# 400/404/409/422: this one record is wrong; dead-letter it and go on.
NEXTECH_ERROR_TABLE: Mapping[int, ErrorKind] = {
    **BASE_ERROR_TABLE,
    408: ErrorKind.RETRY,
    523: ErrorKind.CONFIG,  # R4's "Authentication Fault"
}

SYSTEM = "nextech"


class PatientAlreadyExists(ApiError):
    """Nextech's duplicate rule matched an existing patient (409 on POST /Patient)."""


class RefreshTokenExpired(ApiError):
    """The Select refresh token lapsed and no password is on file: staff must sign in again."""


def config_error(detail: str, status: int | None = None, *,
                 detail_is_remote: bool = False) -> ApiError:
    return ApiError(SYSTEM, ErrorKind.CONFIG, status, detail, detail_is_remote=detail_is_remote)
