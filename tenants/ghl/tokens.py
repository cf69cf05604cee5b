"""`DbTokenStore`: a practice's GoHighLevel token pair in its `GhlCredential` row.

Refresh tokens rotate, and web processes and qcluster workers on several machines may
refresh the same location at once. `locked()` takes a PostgreSQL row lock
(`SELECT ... FOR UPDATE`) and re-reads the pair, so the second refresher waits and then
finds the pair the first one saved instead of spending a refresh token that is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from django.db import transaction
from django.db.models import QuerySet

from integrations.ghl.tokens import TokenPair, UserType
from tenants.models import GhlCredential, Practice


def credential_user_type(credential: GhlCredential) -> UserType:
    """An agency credential holds the Company pair; every other kind a Location one."""
    return "Company" if credential.auth_kind == GhlCredential.AuthKind.AGENCY else "Location"


def credential_pair(credential: GhlCredential) -> TokenPair | None:
    """The stored OAuth pair, or None before the first connect."""
    if not credential.access_token:
        return None
    user_type = credential_user_type(credential)
    return TokenPair(
        access_token=credential.access_token,
        refresh_token=credential.refresh_token or None,
        expires_at=credential.access_expires_at,
        location_id=(credential.location_id or None) if user_type == "Location" else None,
        company_id=credential.company_id or None,
        user_type=user_type,
    )


def credential_pair_put(*, credential: GhlCredential, pair: TokenPair) -> list[str]:
    """Copy `pair` onto the (unsaved) credential; returns the fields to save."""
    credential.access_token = pair.access_token
    credential.refresh_token = pair.refresh_token or ""
    credential.access_expires_at = pair.expires_at
    fields = ["access_token", "refresh_token", "access_expires_at"]
    if pair.user_type == "Location" and pair.location_id:
        credential.location_id = pair.location_id
        fields.append("location_id")
    if pair.company_id:
        credential.company_id = pair.company_id
        fields.append("company_id")
    return fields


class DbTokenStore:
    """The `TokenStore` for one practice's credential (its Location or agency pair)."""

    def __init__(self, *, practice: Practice) -> None:
        self.practice_id = practice.pk
        # One query per refresh, not per request: a pair another process replaced is
        # still found through `locked()` when the server refuses the cached one.
        self._cached: TokenPair | None = None

    def _rows(self) -> QuerySet[GhlCredential]:
        return GhlCredential.objects.filter(practice_id=self.practice_id)

    def load(self) -> TokenPair | None:
        if self._cached is None:
            credential = self._rows().first()
            self._cached = credential_pair(credential) if credential else None
        return self._cached

    def save(self, pair: TokenPair) -> None:
        # Inside `locked()` this is a savepoint under the held row lock.
        with transaction.atomic():
            credential = self._rows().select_for_update().get()
            credential.save(update_fields=credential_pair_put(credential=credential, pair=pair))
        self._cached = pair

    @contextmanager
    def _locked(self) -> Iterator[TokenPair | None]:
        with transaction.atomic():
            credential = self._rows().select_for_update().first()
            self._cached = credential_pair(credential) if credential else None
            yield self._cached

    def locked(self) -> AbstractContextManager[TokenPair | None]:
        return self._locked()
