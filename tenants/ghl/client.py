"""`ghl_client_for`: the GoHighLevel client for one practice, as the sync engine uses it.

The token source follows the credential's kind (OAuth location install, agency token
minting location tokens, private integration token); any failure to get a token that
only a human can fix marks the practice "needs attention: reconnect GoHighLevel".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import requests

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.auth import (
    AgencyTokenSource,
    OAuthTokenSource,
    PrivateTokenSource,
    TokenSource,
)
from integrations.ghl.client import GhlClient
from integrations.ghl.errors import reconnect_error
from integrations.ghl.tokens import InMemoryTokenStore
from integrations.ghl.transport import location_limiter
from integrations.http import ApiError, ErrorKind
from integrations.ratelimit import SlidingWindowLimiter
from tenants.credential_urls import credential_url_refusal
from tenants.ghl.config import ghl_oauth_app
from tenants.ghl.connect import ghl_connection_lost
from tenants.ghl.tokens import DbTokenStore
from tenants.models import GhlCredential, Practice
from tenants.models.credentials import practice_credential

T = TypeVar("T")

# Shared by every client in this process, so all of a location's calls count against
# one 100-per-10-s window and a minted location token is reused until it expires.
_shared_lock = threading.Lock()
_limiters: dict[str, SlidingWindowLimiter] = {}
_minted: dict[tuple[int, str, str], InMemoryTokenStore] = {}


def _limiter(location_id: str, clock: Clock) -> SlidingWindowLimiter:
    if clock is not SYSTEM_CLOCK:  # a simulated clock gets its own window
        return location_limiter(clock=clock)
    with _shared_lock:
        return _limiters.setdefault(location_id, location_limiter(clock=clock))


def _minted_store(practice: Practice, location_id: str, api_base_url: str) -> InMemoryTokenStore:
    # Keyed by the API address too: a token minted for one address is never sent to another.
    with _shared_lock:
        return _minted.setdefault((practice.pk, location_id, api_base_url), InMemoryTokenStore())


class WatchedTokenSource:
    """A token source that reports a connection only a reconnect can fix."""

    def __init__(self, *, inner: TokenSource, practice: Practice) -> None:
        self.inner = inner
        self.practice = practice
        self.location_id = inner.location_id

    def _watched(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except ApiError as exc:
            if exc.kind is ErrorKind.CONFIG:
                ghl_connection_lost(practice=self.practice, detail=exc.detail)
            raise

    def access_token(self) -> str:
        return self._watched(self.inner.access_token)

    def access_token_renew(self, *, rejected: str) -> str:
        return self._watched(lambda: self.inner.access_token_renew(rejected=rejected))


def ghl_token_source(*, practice: Practice, credential: GhlCredential,
                     session: requests.Session | None = None,
                     clock: Clock = SYSTEM_CLOCK) -> TokenSource:
    """The bearer-token source the credential's kind calls for."""
    location_id = credential.location_id
    if not location_id:
        raise reconnect_error("no GoHighLevel location id is set")
    kind = credential.auth_kind
    if kind == GhlCredential.AuthKind.PRIVATE:
        if not credential.private_token:
            raise reconnect_error("no private integration token is stored")
        return PrivateTokenSource(token=credential.private_token, location_id=location_id)
    app = ghl_oauth_app(credential=credential)
    installed = OAuthTokenSource(store=DbTokenStore(practice=practice), app=app,
                                 location_id=location_id, session=session, clock=clock)
    if kind == GhlCredential.AuthKind.AGENCY:
        minted = _minted_store(practice, location_id, credential.api_base_url)
        return AgencyTokenSource(company=installed, app=app, location_id=location_id,
                                 store=minted, session=session, clock=clock)
    return installed


def ghl_client_for(*, practice: Practice, session: requests.Session | None = None,
                   clock: Clock = SYSTEM_CLOCK) -> GhlClient:
    """The client for the practice's GoHighLevel location, at its credential's base URL.

    Raises `ApiError` (kind CONFIG) when the practice has no usable GoHighLevel
    credentials; the practice is then already marked as needing a reconnect.
    """
    credential = practice_credential(practice, GhlCredential)
    try:
        if credential is None:
            raise reconnect_error("GoHighLevel is not connected")
        refused = credential_url_refusal(credential)
        if refused:  # the API address receives the practice's tokens
            raise reconnect_error(refused)
        inner = ghl_token_source(practice=practice, credential=credential, session=session,
                                 clock=clock)
    except ApiError as exc:
        ghl_connection_lost(practice=practice, detail=exc.detail)
        raise
    source = WatchedTokenSource(inner=inner, practice=practice)
    return GhlClient(tokens=source, base_url=credential.api_base_url, session=session,
                     clock=clock, limiter=_limiter(source.location_id, clock))
