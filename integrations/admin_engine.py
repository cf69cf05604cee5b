"""The engine's queues in the practice admin: dead letters with their reason, and a retry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.admin import practice_admin_site
from integrations.engine.replay import inbox_replay, outbox_retry
from integrations.models import InboxItem, OutboxOp


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(InboxItem, site=practice_admin_site)
class InboxItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "resource", "external_id", "last_updated", "state", "error",
                    "received_at"]
    list_filter = ["state", "resource"]
    search_fields = ["external_id"]
    exclude = ["payload"]  # patient data stays out of the page
    actions = ["replay"]

    @admin.action(description="Process the selected dead letters again")
    def replay(self, request: HttpRequest, queryset: QuerySet[InboxItem]) -> None:
        count = inbox_replay(item_ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{count} item(s) queued for the next poll.")


@admin.register(OutboxOp, site=practice_admin_site)
class OutboxOpAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "patient_id", "state", "attempts", "last_error", "created_at",
                    "done_at"]
    list_filter = ["state", "kind"]
    search_fields = ["patient_id", "key"]
    exclude = ["payload"]
    actions = ["retry"]

    @admin.action(description="Send the selected dead letters again")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxOp]) -> None:
        count = outbox_retry(op_ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{count} write(s) queued for the next poll.")
