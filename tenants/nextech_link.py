"""A practice's Nextech client, built from its stored (encrypted) credentials.

Tokens persist on the credential row, so a tick reuses the last access token instead of
signing in again, and the refresh token's lapse date is visible to staff.
"""

from __future__ import annotations

import requests

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.nextech.auth import (
    Credentials,
    PartnerCredentials,
    SelectCredentials,
    TokenSet,
)
from integrations.nextech.client import NextechClient
from integrations.nextech.errors import config_error
from tenants.credential_urls import credential_url_refusal
from tenants.models import NextechCredential, Practice
from tenants.models.credentials import practice_credential


class CredentialTokenStore:
    """Nextech's TokenStore over the NextechCredential row (one tick per practice at a time,
    guaranteed by the tick lock, so no row lock is needed here)."""

    def __init__(self, credential: NextechCredential) -> None:
        self.credential = credential

    def get(self) -> TokenSet | None:
        c = self.credential
        if not c.access_token or c.access_expires_at is None:
            return None
        return TokenSet(
            access_token=c.access_token,
            access_expires_at=c.access_expires_at,
            refresh_token=c.refresh_token or None,
            refresh_expires_at=c.refresh_expires_at,
        )

    def save(self, tokens: TokenSet) -> None:
        c = self.credential
        c.access_token, c.access_expires_at = tokens.access_token, tokens.access_expires_at
        c.refresh_token = tokens.refresh_token or ""
        c.refresh_expires_at = tokens.refresh_expires_at
        c.save(
            update_fields=[
                "access_token",
                "access_expires_at",
                "refresh_token",
                "refresh_expires_at",
            ]
        )


def nextech_credentials(credential: NextechCredential, *, flavor: str) -> Credentials:
    if flavor == Practice.Flavor.PRACTICE_PLUS:
        extra = {"resource": credential.resource} if credential.resource else {}
        return PartnerCredentials(
            partner_id=credential.partner_id, partner_secret=credential.partner_secret, **extra
        )
    extra = {"resource": credential.resource} if credential.resource else {}
    return SelectCredentials(
        client_id=credential.client_id,
        username=credential.username,
        password=credential.password or None,
        **extra,
    )


def nextech_client_for(
    *, practice: Practice, session: requests.Session | None = None, clock: Clock = SYSTEM_CLOCK
) -> NextechClient:
    credential = practice_credential(practice, NextechCredential)
    if credential is None or credential.practice_guid is None:
        raise config_error("Nextech is not connected: enter the credentials in the admin")
    refused = credential_url_refusal(credential)
    if refused:
        raise config_error(refused)
    return NextechClient(
        base_url=credential.base_url,
        practice_id=str(credential.practice_guid or ""),
        flavor=practice.emr_flavor,
        credentials=nextech_credentials(credential, flavor=practice.emr_flavor),
        token_url=credential.token_url,
        token_store=CredentialTokenStore(credential),
        session=session,
        clock=clock,
    )
