"""Verifying and parsing GoHighLevel webhooks: pure functions, no I/O.

What is signed: the raw request body, byte for byte [DOC:WebhookAuthentication].
`X-GHL-Signature` is base64 Ed25519; the legacy `X-WH-Signature` is base64
RSA PKCS#1 v1.5 with SHA-256 and goes away on 2026-07-01. A request with neither
header is rejected, never waved through. Replay defence uses the body's
`timestamp` and `webhookId`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from integrations.ghl.models import date_parse, datetime_parse

ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"
MAX_AGE = timedelta(minutes=5)

# HighLevel's published keys (ghl-api.md 7.3). Confirm the Ed25519 one against
# marketplace.gohighlevel.com before production; the sandbox uses its own keys.
GHL_ED25519_PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=\n"
    "-----END PUBLIC KEY-----\n"
)
GHL_RSA_PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC\n"
    "Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6\n"
    "dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB\n"
    "csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv\n"
    "uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF\n"
    "3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU\n"
    "J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp\n"
    "IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN\n"
    "h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC\n"
    "HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ\n"
    "PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk\n"
    "T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==\n"
    "-----END PUBLIC KEY-----\n"
)


class WebhookRejected(Exception):
    """The request is not a genuine, fresh, first delivery. `reason` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookKeys:
    """Public keys (PEM) accepted per scheme; several allow a rotation overlap."""

    ed25519_pems: Sequence[str] = (GHL_ED25519_PUBLIC_KEY_PEM,)
    rsa_pems: Sequence[str] = (GHL_RSA_PUBLIC_KEY_PEM,)


@dataclass(frozen=True)
class ContactEvent:
    """ContactCreate / ContactTagUpdate. `tags` is the full current list, not a diff."""

    type: str
    location_id: str
    contact_id: str
    tags: tuple[str, ...]
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    custom_fields: Mapping[str, Any] = field(hash=False, default_factory=dict)
    webhook_id: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True)
class AppEvent:
    """AppInstall ("INSTALL") or AppUninstall ("UNINSTALL")."""

    type: str
    app_id: str
    location_id: str | None
    company_id: str | None
    user_id: str | None
    webhook_id: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True)
class OtherEvent:
    """An event we subscribe to but do not act on; accepted so GoHighLevel does not retry."""

    type: str
    location_id: str | None
    webhook_id: str = ""
    timestamp: datetime | None = None


WebhookEvent = ContactEvent | AppEvent | OtherEvent


def _b64(signature: str) -> bytes:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected("signature is not base64") from None


def _ed25519_valid(body: bytes, signature: str, pems: Sequence[str]) -> bool:
    raw = _b64(signature)
    for pem in pems:
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("an Ed25519 webhook key is not an Ed25519 public key")
        try:
            key.verify(raw, body)
            return True
        except InvalidSignature:
            continue
    return False


def _rsa_valid(body: bytes, signature: str, pems: Sequence[str]) -> bool:
    raw = _b64(signature)
    for pem in pems:
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, RSAPublicKey):
            raise ValueError("an RSA webhook key is not an RSA public key")
        try:
            key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def webhook_signature_check(*, body: bytes, headers: Mapping[str, str], keys: WebhookKeys) -> str:
    """Which scheme vouched for `body` ("ed25519" or "rsa"); raises WebhookRejected."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if ED25519_HEADER in lowered:
        if _ed25519_valid(body, lowered[ED25519_HEADER], keys.ed25519_pems):
            return "ed25519"
        raise WebhookRejected("bad X-GHL-Signature")
    if RSA_HEADER in lowered:
        if _rsa_valid(body, lowered[RSA_HEADER], keys.rsa_pems):
            return "rsa"
        raise WebhookRejected("bad X-WH-Signature")
    raise WebhookRejected("no signature header")


# What a delivery may carry, checked before anything is stored: HighLevel's ids are ~20
# characters and webhookIds UUIDs; WebhookDelivery's columns hold these lengths.
ID_MAX_LENGTH = 100
TYPE_MAX_LENGTH = 50


def webhook_payload(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; raises WebhookRejected for anything else, nesting too
    deep to parse included."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRejected("body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRejected("body is not a JSON object")
    return payload


def _text(payload: Mapping[str, Any], key: str, max_length: int = ID_MAX_LENGTH) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise WebhookRejected(f"{key} is not text")
    text = str(value)
    if len(text) > max_length:
        raise WebhookRejected(f"{key} is too long")
    return text


def _optional_text(payload: Mapping[str, Any], key: str) -> str | None:
    return _text(payload, key) or None


def _list(payload: Mapping[str, Any], key: str) -> list[Any]:
    value = payload.get(key) or []
    if not isinstance(value, list):
        raise WebhookRejected(f"{key} is not a list")
    return value


def _timestamp(payload: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime_parse(payload.get("timestamp"))
    except ValueError:
        raise WebhookRejected("bad timestamp") from None


def _birth_date(raw: Any) -> date | None:
    try:
        return date_parse(raw)
    except ValueError:  # not ours to judge here: NXT-Create re-reads the contact
        return None


def webhook_parse(payload: Mapping[str, Any]) -> WebhookEvent:
    """The body as a typed event (no verification: call `webhook_verify`).

    Raises WebhookRejected when a field we keep or act on has the wrong shape.
    """
    kind = _text(payload, "type", TYPE_MAX_LENGTH)
    webhook_id = _text(payload, "webhookId")
    timestamp = _timestamp(payload)
    if kind in ("ContactCreate", "ContactTagUpdate"):
        tags = _list(payload, "tags")
        if not all(isinstance(tag, str) for tag in tags):
            raise WebhookRejected("tags is not a list of text")
        values = {str(cf["id"]): cf.get("value") for cf in _list(payload, "customFields")
                  if isinstance(cf, Mapping) and "id" in cf}
        return ContactEvent(
            type=kind, location_id=_text(payload, "locationId"),
            contact_id=_text(payload, "id"), tags=tuple(tags),
            email=payload.get("email"), phone=payload.get("phone"),
            first_name=payload.get("firstName"), last_name=payload.get("lastName"),
            date_of_birth=_birth_date(payload.get("dateOfBirth")), custom_fields=values,
            webhook_id=webhook_id, timestamp=timestamp,
        )
    if kind in ("INSTALL", "UNINSTALL", "AppInstall", "AppUninstall"):
        return AppEvent(type="AppInstall" if kind in ("INSTALL", "AppInstall") else "AppUninstall",
                        app_id=_text(payload, "appId"),
                        location_id=_optional_text(payload, "locationId"),
                        company_id=_optional_text(payload, "companyId"),
                        user_id=_optional_text(payload, "userId"),
                        webhook_id=webhook_id, timestamp=timestamp)
    return OtherEvent(type=kind, location_id=_optional_text(payload, "locationId"),
                      webhook_id=webhook_id, timestamp=timestamp)


def webhook_verify(*, body: bytes, headers: Mapping[str, str], keys: WebhookKeys,
                   now: datetime, seen: Callable[[str], bool], app_id: str | None = None,
                   max_age: timedelta = MAX_AGE) -> WebhookEvent:
    """Parse, then verify signature, app, freshness and first delivery.

    A malformed body is refused before its signature is checked (whatever it holds, it
    is never acted on). `app_id`: app events must be for this Marketplace app; HighLevel
    signs every vendor's, and another app's uninstall says nothing about ours.
    `seen(webhook_id)` records the id and returns True if it was already recorded; it is
    called last, so forged, foreign or stale requests never consume an id.
    """
    event = webhook_parse(webhook_payload(body))
    if event.timestamp is None:
        raise WebhookRejected("no timestamp")
    if not event.webhook_id:
        raise WebhookRejected("no webhookId")
    webhook_signature_check(body=body, headers=headers, keys=keys)
    if app_id is not None and isinstance(event, AppEvent) and event.app_id != app_id:
        raise WebhookRejected("event for another app")
    if abs(now - event.timestamp) > max_age:
        raise WebhookRejected("stale timestamp")
    if seen(event.webhook_id):
        raise WebhookRejected("replayed webhookId")
    return event
