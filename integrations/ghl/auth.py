"""Where the client gets its bearer token: an OAuth location install, an agency
install minting location tokens, or a private integration token.

Each source refreshes ahead of expiry and after a 401, always inside the store's
lock and always re-reading the stored pair first, so concurrent workers end with
one valid pair.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

import requests

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.errors import reconnect_error
from integrations.ghl.oauth import (
    OAuthApp,
    oauth_location_token_mint,
    oauth_token_refresh,
    private_token_pair,
)
from integrations.ghl.tokens import InMemoryTokenStore, TokenPair, TokenStore
from integrations.http import ApiError, ErrorKind

# Refresh this long before expiry so a request never leaves with a token about to die.
REFRESH_MARGIN = timedelta(minutes=5)


class TokenSource(Protocol):
    location_id: str

    def access_token(self) -> str:
        """A token believed valid now (renewed first when it is about to expire)."""
        ...

    def access_token_renew(self, *, rejected: str) -> str:
        """The server refused `rejected`: return a fresh token (or raise CONFIG)."""
        ...


def pair_renew_locked(*, store: TokenStore, stale: str | None, clock: Clock,
                      make: Callable[[TokenPair | None], TokenPair],
                      margin: timedelta = REFRESH_MARGIN) -> TokenPair:
    """Renew under the store's lock unless another worker already did.

    `stale` is the token we saw fail or expire; if the stored pair holds a different,
    still-fresh token, someone renewed while we waited and we use theirs.
    """
    with store.locked() as current:
        if (current is not None and current.access_token != stale
                and not current.expires_within(margin=margin, now=clock.now())):
            return current
        new = make(current)
        store.save(new)
        return new


class OAuthTokenSource:
    """A location (or company) install: access token plus rotating refresh token."""

    def __init__(self, *, store: TokenStore, app: OAuthApp, location_id: str,
                 session: requests.Session | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self.app = app
        self.location_id = location_id
        self.session = session
        self.clock = clock

    def _refreshed(self, current: TokenPair | None) -> TokenPair:
        if current is None:
            raise reconnect_error("no token stored")
        return oauth_token_refresh(app=self.app, pair=current, session=self.session,
                                   clock=self.clock)

    def access_token(self) -> str:
        pair = self.store.load()
        if pair is None:
            raise reconnect_error("no token stored")
        if pair.expires_within(margin=REFRESH_MARGIN, now=self.clock.now()):
            return self.access_token_renew(rejected=pair.access_token)
        return pair.access_token

    def access_token_renew(self, *, rejected: str) -> str:
        return pair_renew_locked(store=self.store, stale=rejected, clock=self.clock,
                                 make=self._refreshed).access_token


class AgencyTokenSource:
    """Location tokens minted from an agency (Company) install, re-minted when stale."""

    def __init__(self, *, company: OAuthTokenSource, app: OAuthApp, location_id: str,
                 store: TokenStore | None = None, session: requests.Session | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.company = company
        self.app = app
        self.location_id = location_id
        self.store: TokenStore = store or InMemoryTokenStore()
        self.session = session
        self.clock = clock

    def _minted(self, current: TokenPair | None) -> TokenPair:
        company_token = self.company.access_token()  # refreshes the agency pair if due
        company_pair = self.company.store.load()
        if company_pair is None:
            raise reconnect_error("no agency token stored")
        try:
            return oauth_location_token_mint(app=self.app, company_pair=company_pair,
                                             location_id=self.location_id,
                                             session=self.session, clock=self.clock)
        except ApiError as exc:
            if exc.kind is not ErrorKind.CONFIG or exc.status != 401:
                raise
        # The agency token itself went stale: renew it once, then mint again.
        self.company.access_token_renew(rejected=company_token)
        renewed = self.company.store.load() or company_pair
        return oauth_location_token_mint(app=self.app, company_pair=renewed,
                                         location_id=self.location_id,
                                         session=self.session, clock=self.clock)

    def access_token(self) -> str:
        pair = self.store.load()
        if pair is None or pair.expires_within(margin=REFRESH_MARGIN, now=self.clock.now()):
            return self.access_token_renew(rejected=pair.access_token if pair else "")
        return pair.access_token

    def access_token_renew(self, *, rejected: str) -> str:
        return pair_renew_locked(store=self.store, stale=rejected, clock=self.clock,
                                 make=self._minted).access_token


class PrivateTokenSource:
    """A sub-account private integration token pasted by staff: nothing to refresh."""

    def __init__(self, *, token: str, location_id: str) -> None:
        self.pair = private_token_pair(token=token, location_id=location_id)
        self.location_id = location_id

    def access_token(self) -> str:
        return self.pair.access_token

    def access_token_renew(self, *, rejected: str) -> str:
        raise reconnect_error("the private integration token was rejected; paste a new one",
                              status=401)
