"""GoHighLevel webhook deliveries, recorded once per `webhookId` (replay defence)."""

from __future__ import annotations

from django.db import models

from tenants.models.practice import Practice


class WebhookDelivery(models.Model):
    """One accepted delivery: only what processing needs, never names, emails or phones."""

    webhook_id = models.CharField(max_length=100, unique=True)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event_type = models.CharField(max_length=50, blank=True)
    location_id = models.CharField(max_length=100, blank=True)
    contact_id = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    signature_scheme = models.CharField(max_length=10, blank=True)  # ed25519 or rsa
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type or 'webhook'} {self.webhook_id}"
