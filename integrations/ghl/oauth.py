"""OAuth 2.0 against GoHighLevel: the authorize URL, code exchange, refresh and
minting a location token from an agency (Company) token.

Every URL is a field of `OAuthApp` with the real default, so a practice can point
at the sandbox or at a recording proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.errors import OAUTH_ERROR_TABLE, SYSTEM, reconnect_error
from integrations.ghl.tokens import TokenPair, UserType
from integrations.http import ApiClientBase, ApiError, ErrorKind

API_VERSION = "2021-07-28"
GHL_API_BASE_URL = "https://services.leadconnectorhq.com"
GHL_AUTHORIZE_URL = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
GHL_TOKEN_URL = f"{GHL_API_BASE_URL}/oauth/token"
LOCATION_TOKEN_PATH = "/oauth/locationToken"

# What the sync needs, per the scope table in ghl-api.md section 2.3.
DEFAULT_SCOPES: tuple[str, ...] = (
    "contacts.readonly", "contacts.write",
    "opportunities.readonly", "opportunities.write",
    "locations/customFields.readonly", "locations/customFields.write",
    "workflows.readonly", "users.readonly",
)


@dataclass(frozen=True)
class OAuthApp:
    """A Marketplace app's credentials and the URLs it talks to."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    authorize_url: str = GHL_AUTHORIZE_URL
    token_url: str = GHL_TOKEN_URL
    api_base_url: str = GHL_API_BASE_URL


class OAuthHttp(ApiClientBase):
    """The token endpoints: form-encoded, unauthenticated or agency-authenticated."""

    system = f"{SYSTEM}-oauth"
    error_table = OAUTH_ERROR_TABLE


def oauth_authorize_url_build(*, app: OAuthApp, state: str | None = None) -> str:
    """Where "Connect GoHighLevel" sends the browser: the chooselocation page."""
    query = {
        "response_type": "code",
        "redirect_uri": app.redirect_uri,
        "client_id": app.client_id,
        "scope": " ".join(app.scopes),
    }
    if state is not None:
        query["state"] = state
    return f"{app.authorize_url}?{urlencode(query)}"


def token_pair_parse(body: Mapping[str, Any], *, clock: Clock,
                     fallback: TokenPair | None = None) -> TokenPair:
    """A token response as a pair; `fallback` fills what a response leaves out."""
    try:
        access = str(body["access_token"])
        expires_in = float(body.get("expires_in") or 86399)
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(SYSTEM, ErrorKind.RETRY, None, "malformed token response") from exc
    user_type: UserType = "Company" if body.get("userType") == "Company" else "Location"
    return TokenPair(
        access_token=access,
        refresh_token=body.get("refresh_token") or None,
        expires_at=clock.now() + timedelta(seconds=expires_in),
        location_id=body.get("locationId") or (fallback.location_id if fallback else None),
        company_id=body.get("companyId") or (fallback.company_id if fallback else None),
        user_type=fallback.user_type if fallback and "userType" not in body else user_type,
        scope=str(body.get("scope") or ""),
    )


def _token_post(*, url: str, form: Mapping[str, str], session: requests.Session | None,
                clock: Clock, headers: Mapping[str, str] | None = None) -> Mapping[str, Any]:
    http = OAuthHttp(base_url=url, session=session, clock=clock)
    try:
        response = http.send("POST", url, data=form, headers=headers, authenticated=False)
    except ApiError as exc:
        if exc.kind is ErrorKind.CONFIG:
            # The vendor's message ("Location is not active"...) helps staff; no form data.
            vendor = exc.payload.get("message") if isinstance(exc.payload, dict) else None
            raise reconnect_error(str(vendor or exc.detail), status=exc.status,
                                  detail_is_remote=exc.detail_is_remote) from None
        raise
    try:
        body = response.json()
    except ValueError as exc:
        raise ApiError(SYSTEM, ErrorKind.RETRY, response.status_code,
                       "malformed token response") from exc
    if not isinstance(body, dict):
        raise ApiError(SYSTEM, ErrorKind.RETRY, response.status_code, "malformed token response")
    return body


def oauth_code_exchange(*, app: OAuthApp, code: str, user_type: UserType = "Location",
                        session: requests.Session | None = None,
                        clock: Clock = SYSTEM_CLOCK) -> TokenPair:
    """Trade the callback's `code` for a token pair (with expiry and location id)."""
    body = _token_post(url=app.token_url, session=session, clock=clock, form={
        "client_id": app.client_id, "client_secret": app.client_secret,
        "grant_type": "authorization_code", "code": code,
        "user_type": user_type, "redirect_uri": app.redirect_uri,
    })
    return token_pair_parse(body, clock=clock)


def oauth_token_refresh(*, app: OAuthApp, pair: TokenPair,
                        session: requests.Session | None = None,
                        clock: Clock = SYSTEM_CLOCK) -> TokenPair:
    """Spend `pair.refresh_token` for a new pair; the old refresh token stops working."""
    if not pair.refresh_token:
        raise reconnect_error("no refresh token stored")
    body = _token_post(url=app.token_url, session=session, clock=clock, form={
        "client_id": app.client_id, "client_secret": app.client_secret,
        "grant_type": "refresh_token", "refresh_token": pair.refresh_token,
        "user_type": pair.user_type, "redirect_uri": app.redirect_uri,
    })
    return token_pair_parse(body, clock=clock, fallback=pair)


def oauth_location_token_mint(*, app: OAuthApp, company_pair: TokenPair, location_id: str,
                              session: requests.Session | None = None,
                              clock: Clock = SYSTEM_CLOCK) -> TokenPair:
    """A location token from an agency token. It has no refresh token: mint again instead."""
    if not company_pair.company_id:
        raise reconnect_error("the agency token has no company id")
    body = _token_post(
        url=f"{app.api_base_url.rstrip('/')}{LOCATION_TOKEN_PATH}", session=session, clock=clock,
        form={"companyId": company_pair.company_id, "locationId": location_id},
        headers={"Authorization": f"Bearer {company_pair.access_token}", "Version": API_VERSION},
    )
    minted = token_pair_parse(body, clock=clock)
    return TokenPair(access_token=minted.access_token, refresh_token=None,
                     expires_at=minted.expires_at, location_id=location_id,
                     company_id=company_pair.company_id, scope=minted.scope)


def private_token_pair(*, token: str, location_id: str) -> TokenPair:
    """A sub-account private integration token (`pit-...`): static, never refreshed."""
    return TokenPair(access_token=token.strip(), refresh_token=None, expires_at=None,
                     location_id=location_id)
