"""The engine's queues in the practice admin: dead letters and failed NXT-Create requests,
each with its reason and a retry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.access_log import PatientAccessLoggedAdmin
from integrations.admin import practice_admin_site
from integrations.engine.replay import inbox_replay, outbox_retry
from integrations.models import InboxItem, NxtCreateRequest, OutboxOp
from integrations.nxt_create.service import nxt_create_retry


class ReadOnlyAdmin(PatientAccessLoggedAdmin):
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

    def access_ref(self, obj: InboxItem) -> str:
        return obj.external_id if obj.resource == "Patient" else ""

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

    def access_ref(self, obj: OutboxOp) -> str:
        return obj.patient_id

    @admin.action(description="Send the selected dead letters again")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxOp]) -> None:
        count = outbox_retry(op_ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{count} write(s) queued for the next poll.")


@admin.register(NxtCreateRequest, site=practice_admin_site)
class NxtCreateRequestAdmin(ReadOnlyAdmin):
    """Patients staff asked for with NXT-Create; a failed one shows what to fix."""

    list_display = ["contact_id", "state", "reason", "nextech_id", "attempts", "tagged_at",
                    "created_at", "updated_at"]
    list_filter = ["state"]
    search_fields = ["contact_id", "nextech_id"]
    exclude = ["crm_note"]
    actions = ["retry"]

    def access_ref(self, obj: NxtCreateRequest) -> str:
        # Before Nextech has the patient, the CRM contact is who the page is about.
        return obj.nextech_id or f"crm:{obj.contact_id}"

    @admin.display(description="reason")
    def reason(self, obj: NxtCreateRequest) -> str:
        return "; ".join(obj.problems.splitlines()) or obj.last_error

    @admin.action(description="Retry creating the selected failed patients")
    def retry(self, request: HttpRequest, queryset: QuerySet[NxtCreateRequest]) -> None:
        count = nxt_create_retry(request_ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"{count} request(s) will be tried again at the next poll.")
