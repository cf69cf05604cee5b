"""Azure AD v1 tokens for Nextech: Select's password + refresh grants, Practice+ client credentials.

Tokens live in a `TokenStore` so the caller can keep them encrypted; this module never logs
a token, password or secret (their dataclass fields are hidden from repr).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from integrations.clock import Clock
from integrations.http import ApiError, ErrorKind
from integrations.nextech.errors import SYSTEM, RefreshTokenExpired, config_error

log = logging.getLogger(__name__)

SELECT_RESOURCE = "https://select.nextech-api.com/api"
# Nextech does not publish the Practice+ "Partner Api Identifier"; this is our guess, overridable.
PRACTICE_PLUS_RESOURCE = "https://api.pm.nextech.com/api"
TOKEN_URL = "https://login.microsoftonline.com/nextech-api.com/oauth2/token"

ACCESS_REFRESH_AHEAD = timedelta(seconds=60)  # refresh a little before Azure would say 401
REFRESH_TOKEN_LIFETIME = timedelta(days=14)  # Select: refresh tokens lapse after 14 unused days
REFRESH_TOKEN_WARNING = timedelta(days=4)  # warn the agency this long before one lapses


@dataclass(frozen=True)
class SelectCredentials:
    """Nextech Cloud (Select): resource-owner password grant, then refresh tokens.

    `password` may be None when only a refresh token is kept; a lapsed one then needs a human.
    """

    client_id: str
    username: str
    password: str | None = field(default=None, repr=False)
    resource: str = SELECT_RESOURCE


@dataclass(frozen=True)
class PartnerCredentials:
    """Practice+: client_credentials with the Partner ID and Partner Secret."""

    partner_id: str
    partner_secret: str = field(repr=False)
    resource: str = PRACTICE_PLUS_RESOURCE


Credentials = SelectCredentials | PartnerCredentials


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None


class TokenStore(Protocol):
    """Where the current tokens live between ticks (the lead persists them encrypted)."""

    def get(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...


class InMemoryTokenStore:
    def __init__(self, tokens: TokenSet | None = None) -> None:
        self.tokens = tokens

    def get(self) -> TokenSet | None:
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        self.tokens = tokens


def token_form_initial(credentials: Credentials) -> dict[str, str]:
    """The first grant: password (Select) or client_credentials (Practice+)."""
    if isinstance(credentials, PartnerCredentials):
        return {"grant_type": "client_credentials", "client_id": credentials.partner_id,
                "client_secret": credentials.partner_secret, "resource": credentials.resource}
    if credentials.password is None:
        raise RefreshTokenExpired(SYSTEM, ErrorKind.CONFIG, None,
                                  "the Nextech refresh token lapsed; sign in to Nextech again")
    return {"grant_type": "password", "client_id": credentials.client_id,
            "username": credentials.username, "password": credentials.password,
            "resource": credentials.resource}


def token_set_from(payload: Any, *, now: datetime, previous: TokenSet | None) -> TokenSet:
    """Read an Azure v1 token answer (numbers may come as strings)."""
    if not isinstance(payload, Mapping) or not payload.get("access_token"):
        raise config_error("the token endpoint answered without an access token")
    try:
        lifetime = int(payload.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600
    refresh = payload.get("refresh_token")
    refresh_expires = now + REFRESH_TOKEN_LIFETIME if refresh else None
    if not refresh and previous is not None:
        refresh, refresh_expires = previous.refresh_token, previous.refresh_expires_at
    return TokenSet(access_token=str(payload["access_token"]),
                    access_expires_at=now + timedelta(seconds=lifetime),
                    refresh_token=str(refresh) if refresh else None,
                    refresh_expires_at=refresh_expires)


class TokenKeeper:
    """Hands out a valid access token, refreshing ahead of expiry and when told it went stale."""

    def __init__(self, *, credentials: Credentials, store: TokenStore, clock: Clock,
                 post_form: Callable[[dict[str, str]], Any]) -> None:
        self.credentials = credentials
        self.store = store
        self.clock = clock
        self.post_form = post_form  # sends the token request, returns the parsed JSON

    def access_token(self) -> str:
        tokens = self.store.get()
        if tokens is None or tokens.access_expires_at - ACCESS_REFRESH_AHEAD <= self.clock.now():
            tokens = self.renew()
        return tokens.access_token

    def renew(self) -> TokenSet:
        """Get a new access token: refresh grant when one is alive, else sign in again."""
        previous = self.store.get()
        now = self.clock.now()
        creds = self.credentials
        refresh_alive = (
            isinstance(creds, SelectCredentials) and previous is not None
            and previous.refresh_token is not None
            and (previous.refresh_expires_at is None or previous.refresh_expires_at > now)
        )
        if refresh_alive and isinstance(creds, SelectCredentials) and previous is not None:
            form = {"grant_type": "refresh_token", "client_id": creds.client_id,
                    "refresh_token": str(previous.refresh_token), "resource": creds.resource}
            try:
                return self._grant(form, now=now, previous=previous)
            except ApiError as exc:
                if exc.kind is not ErrorKind.CONFIG or creds.password is None:
                    raise
                log.warning("nextech refresh token refused; signing in with the password again")
        elif previous is not None and isinstance(creds, SelectCredentials):
            log.warning("nextech refresh token lapsed; signing in again")
        return self._grant(token_form_initial(creds), now=now, previous=None)

    def _grant(self, form: dict[str, str], *, now: datetime, previous: TokenSet | None) -> TokenSet:
        try:
            payload = self.post_form(form)
        except ApiError as exc:
            if exc.kind in (ErrorKind.RETRY, ErrorKind.RATE_LIMITED):
                raise
            # Any refusal by the token endpoint means the credentials need a human.
            raise config_error(f"Nextech sign-in was refused ({exc.detail})", exc.status,
                               detail_is_remote=exc.detail_is_remote) from None
        tokens = token_set_from(payload, now=now, previous=previous)
        self.store.save(tokens)
        return tokens

    def refresh_token_expires_at(self) -> datetime | None:
        tokens = self.store.get()
        return tokens.refresh_expires_at if tokens else None

