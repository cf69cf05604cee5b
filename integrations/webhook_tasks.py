"""django-q2 task for a recorded GoHighLevel webhook delivery (see tenants/ghl/webhooks.py).

For now it writes the sync log entry staff read ("a tag changed on this contact");
acting on `NXT-Create` tags is added by the patient-creation work.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.models import SyncLog
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
    return {"practice": schema_name, "event": delivery.event_type}
