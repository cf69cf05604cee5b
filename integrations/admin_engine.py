"""The engine's queues in the practice admin: dead letters and failed NXT-Create requests,
each with its reason and a retry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.access_log import PatientAccessLoggedAdmin
from integrations.admin import (
    PatientNamesMixin,
    ReadOnlyAdmin,
    practice_admin_site,
)
from integrations.engine.replay import inbox_replay, outbox_retry
from integrations.models import InboxItem, NxtCreateRequest, OutboxOp
from integrations.nxt_create.service import nxt_create_retry

# What each CRM write does, as staff would say it.
CRM_WRITE_WORDS = {
    "contact_upsert": "Create or update the contact",
    "tags_add": "Add tags",
    "tags_remove": "Remove tags",
    "opportunity_upsert": "Create or move the opportunity",
    "note_add": "Add a note",
    "workflow_enrol": "Enrol in a workflow",
}

class PatientRecordsAdmin(PatientAccessLoggedAdmin, ReadOnlyAdmin):
    """Read-only pages of patient records, each view of one written to the access log."""

class CrmWriteKindFilter(admin.SimpleListFilter):
    title = "what"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return list(CRM_WRITE_WORDS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxOp]) -> QuerySet[OutboxOp]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(InboxItem, site=practice_admin_site)
class InboxItemAdmin(PatientRecordsAdmin):
    staff_plural = "Nextech changes read"
    staff_singular = "Nextech change read"
    staff_help = ("Every version of a Nextech appointment, patient or payment AX Connect has "
                  "read, before it is turned into CRM writes. One that could not be "
                  "understood is a dead letter with its reason; select it to process it again.")
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
class OutboxOpAdmin(PatientNamesMixin, PatientRecordsAdmin):
    patient_field = "patient_id"
    staff_plural = "CRM writes"
    staff_singular = "CRM write"
    staff_help = ("A CRM write is one change AX Connect sends to GoHighLevel for a patient "
                  "(update the contact, add a note, move the opportunity...). Each is queued "
                  "when a Nextech change is read and sent in order; one that keeps failing "
                  "becomes a dead letter with its reason. Fix the cause, then select it and "
                  "send it again.")
    list_display = ["id", "what", "patient", "state", "attempts", "last_error", "created_at",
                    "done_at"]
    list_filter = ["state", CrmWriteKindFilter]
    search_fields = ["patient_id", "key"]
    exclude = ["payload"]
    actions = ["retry"]

    @admin.display(description="what", ordering="kind")
    def what(self, obj: OutboxOp) -> str:
        return CRM_WRITE_WORDS.get(obj.kind, obj.kind)

    def access_ref(self, obj: OutboxOp) -> str:
        return obj.patient_id

    @admin.action(description="Send the selected dead letters again")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxOp]) -> None:
        count = outbox_retry(op_ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{count} write(s) queued for the next poll.")


@admin.register(NxtCreateRequest, site=practice_admin_site)
class NxtCreateRequestAdmin(PatientNamesMixin, PatientRecordsAdmin):
    """Patients staff asked for with NXT-Create; a failed one shows what to fix."""

    staff_help = ("Contacts tagged NXT-Create in the CRM, to be created as patients in "
                  "Nextech. A failed one lists what to fix on the contact.")

    patient_field = "nextech_id"  # the patient created or linked, once there is one
    list_display = ["contact_id", "state", "reason", "patient", "attempts", "tagged_at",
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
