"""The practice change page's GoHighLevel panel: connection state and the connect button."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from tenants.ghl.connect import ghl_connection_read


class GhlConnectAdminMixin:
    """Adds `ghl` (a `GhlConnection`) and `ghl_connect_url` to the change form's context,
    which admin/tenants/practice/change_form.html shows."""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = dict(extra_context or {})
        practice = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if practice is not None:
            context["ghl"] = ghl_connection_read(practice=practice)
            context["ghl_connect_url"] = reverse("ghl_connect_start", args=[practice.pk])
        return super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context=context)


class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: what GoHighLevel sent, when, and whether it was processed."""

    list_display = ["received_at", "practice", "event_type", "contact_id", "processed_at"]
    list_filter = ["event_type", "practice"]
    search_fields = ["webhook_id", "contact_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
