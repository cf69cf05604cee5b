"""Receiving GoHighLevel webhooks: verify, record once, hand off to the queue.

The webhook id is recorded by inserting a `WebhookDelivery` row (unique on the id) in
the request's transaction: of two concurrent deliveries of one webhook, the second
insert waits for the first to commit and then fails, so exactly one is processed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.ghl.webhooks import (
    ED25519_HEADER,
    ContactEvent,
    WebhookKeys,
    WebhookRejected,
    webhook_payload,
    webhook_verify,
)
from tenants.ghl.config import ghl_app_id, ghl_webhook_keys
from tenants.models import GhlCredential, WebhookDelivery

PROCESS_TASK = "integrations.webhook_tasks.ghl_webhook_process"

# What the endpoint answers for each rejection: forged, malformed or stale, replayed.
REJECTION_STATUS: Mapping[str, int] = {
    "bad X-GHL-Signature": 401,
    "bad X-WH-Signature": 401,
    "no signature header": 401,
    "signature is not base64": 401,
    "replayed webhookId": 409,
}
# Not JSON or malformed, another app's event, no or stale timestamp, no webhookId.
REJECTION_STATUS_DEFAULT = 400


class UnknownLocation(Exception):
    """A genuine, fresh webhook for a location no practice is connected to."""


def _location_peek(body: bytes) -> str:
    # Read before verification only to find the practice; nothing is trusted until
    # webhook_verify has checked the signature over these same bytes. A body that is no
    # JSON object is refused here (400).
    location_id = webhook_payload(body).get("locationId")
    return location_id if isinstance(location_id, str) else ""


def ghl_webhook_receive(*, body: bytes, headers: Mapping[str, str],
                        now: datetime | None = None,
                        keys: WebhookKeys | None = None) -> WebhookDelivery:
    """Verify and record one delivery and queue its processing.

    Raises `WebhookRejected` (forged, stale, replayed...) or `UnknownLocation`.
    """
    location_id = _location_peek(body)
    credentials = list(GhlCredential.objects.filter(location_id=location_id)
                       .select_related("practice")[:2]) if location_id else []
    recorded: list[WebhookDelivery] = []

    def seen(webhook_id: str) -> bool:
        if len(credentials) != 1:
            raise UnknownLocation(location_id)
        try:
            with transaction.atomic():
                recorded.append(WebhookDelivery.objects.create(
                    webhook_id=webhook_id, practice=credentials[0].practice,
                    location_id=location_id))
        except IntegrityError:
            return True
        return False

    with transaction.atomic():
        event = webhook_verify(body=body, headers=headers, keys=keys or ghl_webhook_keys(),
                               now=now or timezone.now(), seen=seen, app_id=ghl_app_id())
        delivery = recorded[0]
        delivery.event_type = event.type
        if isinstance(event, ContactEvent):
            delivery.contact_id = event.contact_id
            delivery.tags = list(event.tags)
        lowered = {k.lower() for k in headers}
        delivery.signature_scheme = "ed25519" if ED25519_HEADER in lowered else "rsa"
        delivery.save(update_fields=["event_type", "contact_id", "tags", "signature_scheme"])
        schema, delivery_id = delivery.practice.schema_name, delivery.pk
        transaction.on_commit(lambda: async_task(PROCESS_TASK, schema, delivery_id))
    return delivery


def rejection_status(rejected: WebhookRejected) -> int:
    return REJECTION_STATUS.get(rejected.reason, REJECTION_STATUS_DEFAULT)
