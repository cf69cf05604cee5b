"""django-q2 task for a recorded GoHighLevel webhook delivery (see tenants/ghl/webhooks.py).

It writes the sync log entry staff read ("a tag changed on this contact") and, when a
ContactTagUpdate carries `NXT-Create`, runs the patient creation for that contact.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.models import SyncLog
from integrations.nxt_create import TAG_CREATE
from integrations.nxt_create.entry import nxt_create_from_webhook
from tenants.ghl.connect import ghl_connection_lost
from tenants.models import WebhookDelivery


def ghl_webhook_process(schema_name: str, delivery_id: int) -> dict[str, Any]:
    """Handle one delivery once, inside its practice's schema."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update()
                    .select_related("practice")
                    .filter(pk=delivery_id, practice__schema_name=schema_name,
                            processed_at__isnull=True)
                    .first())
        if delivery is None:
            return {"practice": schema_name, "skipped": "no unprocessed delivery"}
        with schema_context(schema_name):
            SyncLog.objects.create(
                kind="webhook",
                message=f"GoHighLevel {delivery.event_type or 'webhook'} received",
                contact_ref=delivery.contact_id,
                details={"webhook_id": delivery.webhook_id, "event": delivery.event_type,
                         "tags": delivery.tags},
            )
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["processed_at"])
    if delivery.event_type == "AppUninstall":
        ghl_connection_lost(practice=delivery.practice, detail="the app was uninstalled")
    result: dict[str, Any] = {"practice": schema_name, "event": delivery.event_type}
    # The webhook carries the full tag list; the service re-reads the contact, so a stale
    # or repeated delivery changes nothing.
    if delivery.event_type == "ContactTagUpdate" and TAG_CREATE in (delivery.tags or []):
        with schema_context(schema_name):
            result["nxt_create"] = nxt_create_from_webhook(
                practice=delivery.practice, contact_id=delivery.contact_id,
                tagged_at=delivery.received_at)
    return result
