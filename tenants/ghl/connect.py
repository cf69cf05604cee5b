"""Connecting a practice to GoHighLevel ("Connect GoHighLevel" in the agency admin) and
saying so when the connection breaks.

The OAuth `state` is signed (practice id + a nonce also kept in the staff member's
session) and expires, so a callback cannot be replayed, forged or attached to another
practice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.core import signing
from django.db import transaction
from django.utils import timezone

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.errors import RECONNECT_MESSAGE
from integrations.ghl.oauth import oauth_authorize_url_build, oauth_code_exchange
from integrations.http import ApiError, error_summary
from tenants.credential_urls import credential_url_refusal
from tenants.ghl.config import ghl_oauth_app
from tenants.ghl.tokens import credential_pair_put, credential_user_type
from tenants.models import GhlCredential, Practice
from tenants.models.credentials import ghl_url_defaults
from tenants.services import practice_set_status

log = logging.getLogger(__name__)

GHL_RECONNECT_REASON = "reconnect GoHighLevel"
STATE_SALT = "axconnect.ghl.connect"
STATE_MAX_AGE_SECONDS = 15 * 60


def _vendor_detail(detail: str) -> str:
    """The vendor's words without the "needs attention: reconnect" wrapper staff see anyway."""
    wrapper = f"{RECONNECT_MESSAGE} ("
    if detail.startswith(wrapper) and detail.endswith(")"):
        return detail[len(wrapper):-1]
    return detail


class ConnectFailed(Exception):
    """The connect flow stopped; `str()` is what staff read. `practice_id` when known."""

    def __init__(self, message: str, *, practice_id: int | None = None) -> None:
        super().__init__(message)
        self.practice_id = practice_id


def _credential_or_default(practice: Practice) -> GhlCredential:
    # Unsaved defaults until the first successful connect: the real GoHighLevel URLs, or
    # the ones settings name (the demo's sandbox).
    return GhlCredential.objects.filter(practice=practice).first() or GhlCredential(
        practice=practice, **ghl_url_defaults())


def _urls_allowed(practice: Practice, credential: GhlCredential) -> None:
    refused = credential_url_refusal(credential)
    if refused:
        raise ConnectFailed(refused, practice_id=practice.pk)


def ghl_connect_begin(*, practice: Practice, redirect_uri: str, nonce: str) -> str:
    """The chooselocation URL to send staff to, carrying a signed state."""
    state = signing.dumps({"practice": practice.pk, "nonce": nonce}, salt=STATE_SALT)
    credential = _credential_or_default(practice)
    _urls_allowed(practice, credential)
    app = ghl_oauth_app(credential=credential, redirect_uri=redirect_uri)
    return oauth_authorize_url_build(app=app, state=state)


def _state_practice(*, state: str, nonce: str) -> Practice:
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise ConnectFailed("The GoHighLevel connection took too long; connect again.") from None
    except signing.BadSignature:
        raise ConnectFailed("The GoHighLevel callback was not one we started.") from None
    if not nonce or data.get("nonce") != nonce:
        raise ConnectFailed("The GoHighLevel callback belongs to another sign-in; connect again.")
    practices = Practice.objects.exclude(schema_name="public")
    practice = practices.filter(pk=data.get("practice")).first()
    if practice is None:
        raise ConnectFailed("The practice being connected no longer exists.")
    return practice


def _location_check(*, practice: Practice, credential: GhlCredential, location_id: str) -> None:
    if not location_id:
        raise ConnectFailed("GoHighLevel did not say which sub-account was chosen.",
                            practice_id=practice.pk)
    if credential.location_id and credential.location_id != location_id:
        raise ConnectFailed(
            f"Sub-account {location_id} was chosen, but this practice is set to "
            f"{credential.location_id}. Clear its Location id to switch.", practice_id=practice.pk)
    taken = GhlCredential.objects.filter(location_id=location_id).exclude(practice=practice)
    if taken.exists():
        raise ConnectFailed(f"Sub-account {location_id} is already connected to another practice.",
                            practice_id=practice.pk)


def ghl_connect_finish(*, state: str, nonce: str, code: str, error: str, redirect_uri: str,
                       session: requests.Session | None = None,
                       clock: Clock = SYSTEM_CLOCK) -> GhlCredential:
    """Verify the callback, trade the code for tokens and store them (encrypted)."""
    practice = _state_practice(state=state, nonce=nonce)
    if error or not code:
        raise ConnectFailed("GoHighLevel access was not granted; nothing was changed.",
                            practice_id=practice.pk)
    credential = _credential_or_default(practice)
    _urls_allowed(practice, credential)  # the token URL receives the app's client secret
    user_type = credential_user_type(credential)
    app = ghl_oauth_app(credential=credential, redirect_uri=redirect_uri)
    try:
        pair = oauth_code_exchange(app=app, code=code, user_type=user_type, session=session,
                                   clock=clock)
    except ApiError as exc:
        log.info("GoHighLevel code exchange failed for %s: %s", practice.schema_name, exc.kind)
        raise ConnectFailed(f"GoHighLevel refused the connection ({error_summary(exc)}).",
                            practice_id=practice.pk) from None
    if user_type == "Location":
        _location_check(practice=practice, credential=credential,
                        location_id=pair.location_id or "")
    with transaction.atomic():
        credential, _ = GhlCredential.objects.select_for_update().get_or_create(
            practice=practice, defaults=ghl_url_defaults())
        if credential.auth_kind == GhlCredential.AuthKind.PRIVATE:
            credential.auth_kind = GhlCredential.AuthKind.OAUTH  # staff chose OAuth over the PIT
        credential_pair_put(credential=credential, pair=pair)
        credential.connected_at = timezone.now()
        credential.last_error = ""
        credential.save()
        if (practice.status == Practice.Status.NEEDS_ATTENTION
                and practice.status_reason == GHL_RECONNECT_REASON):
            practice_set_status(practice=practice, status=Practice.Status.ACTIVE)
    log.info("GoHighLevel connected: %s", practice.schema_name)
    ghl_location_name_refresh(practice=practice, session=session, clock=clock)
    credential.refresh_from_db(fields=["location_name"])
    return credential


def ghl_location_name_refresh(*, practice: Practice, session: requests.Session | None = None,
                              clock: Clock = SYSTEM_CLOCK) -> str:
    """Read the sub-account's name from GoHighLevel and keep it; "" when it cannot be read.

    Only a label for staff: a failure here never fails the connection or the set-up.
    """
    from tenants.ghl.client import ghl_client_for  # the client module imports this one

    try:
        name = ghl_client_for(practice=practice, session=session, clock=clock).location_get().name
    except ApiError as exc:
        log.info("GoHighLevel location name not read for %s: %s", practice.schema_name, exc.kind)
        return ""
    GhlCredential.objects.filter(practice=practice).update(location_name=name[:200])
    return name


def ghl_location_words(credential: GhlCredential) -> str:
    """"Cedar Aesthetics (location abc123)", or the id alone before the name is known."""
    if not credential.location_id:
        return "no location"
    if credential.location_name:
        return f"{credential.location_name} (location {credential.location_id})"
    return f"location {credential.location_id}"


def ghl_connection_lost(*, practice: Practice, detail: str) -> None:
    """Tokens cannot be renewed: the practice needs attention until staff reconnect."""
    with transaction.atomic():
        GhlCredential.objects.filter(practice=practice).update(
            last_error=_vendor_detail(detail)[:500])
        if practice.status != Practice.Status.PAUSED:
            practice_set_status(practice=practice, status=Practice.Status.NEEDS_ATTENTION,
                                reason=GHL_RECONNECT_REASON)
    log.warning("GoHighLevel connection lost: %s", practice.schema_name)


@dataclass(frozen=True)
class GhlConnection:
    """What the admin shows about a practice's GoHighLevel connection."""

    state: str  # "connected", "needs_reconnect" or "not_connected"
    label: str
    detail: str


def ghl_connection_read(*, practice: Practice) -> GhlConnection:
    credential = GhlCredential.objects.filter(practice=practice).first()
    if practice.status == Practice.Status.NEEDS_ATTENTION \
            and practice.status_reason == GHL_RECONNECT_REASON:
        detail = credential.last_error if credential else ""
        return GhlConnection("needs_reconnect", "Needs attention: reconnect GoHighLevel", detail)
    if credential is None or not (credential.access_token or credential.private_token):
        return GhlConnection("not_connected", "Not connected", "")
    where = ghl_location_words(credential)
    if credential.auth_kind == GhlCredential.AuthKind.PRIVATE and credential.private_token:
        return GhlConnection("connected", "Connected", f"{where}, private integration token")
    since = f", since {timezone.localtime(credential.connected_at):%Y-%m-%d %H:%M %Z}" \
        if credential.connected_at else ""
    return GhlConnection("connected", "Connected", f"{where}{since}")
