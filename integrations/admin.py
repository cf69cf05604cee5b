"""The admin on a practice's own host: its catalog, categories, stages and sync log.

Requests there already run in the practice's schema, so these are ordinary model admins.
Only agency staff with a grant on this practice (`tenants.access`) sign in here; practice
staff use the portal.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ImportForm

from integrations.access_log import PatientAccessLoggedAdmin
from integrations.category_review import suggestions_confirm, waiting_appointments_release
from integrations.models import (
    AppointmentPurpose,
    AppointmentType,
    AutomationRule,
    CategoryMapping,
    CrmField,
    EngineSettings,
    KnownPatient,
    Location,
    PatientAccessLog,
    ReferralSourceMapping,
    StageMapping,
    SyncLog,
    SyncState,
)
from integrations.onboarding.workbook import (
    MAX_UPLOAD_BYTES,
    UPLOAD_LIMIT_TEXT,
    CategoryCSV,
    CategoryXLSX,
    SpreadsheetRefused,
)
from integrations.resources import CategoryMappingResource
from tenants.access import practice_role
from tenants.two_factor import SecondFactorAdminMixin


class PracticeAdminSite(SecondFactorAdminMixin, admin.AdminSite):
    site_header = "AX Connect: practice"
    site_title = "AX Connect practice"

    def has_permission(self, request: HttpRequest) -> bool:
        tenant = getattr(request, "tenant", None)
        return super().has_permission(request) and tenant is not None and (
            practice_role(user=request.user, practice=tenant) is not None)

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = f"AX Connect: {tenant.name}"
        return context

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        """The index and sidebar in staff's words: an admin's `staff_plural` names its model
        (no model or migration change: the words are for people, the names for code)."""
        apps = super().get_app_list(request, app_label)
        for app in apps:
            for entry in app["models"]:
                model_admin = self._registry.get(entry["model"])
                entry["name"] = getattr(model_admin, "staff_plural", "") or entry["name"]
        return apps


practice_admin_site = PracticeAdminSite(name="practice_admin")


class StaffWordsAdmin(admin.ModelAdmin):
    """A model admin whose pages use `staff_plural` / `staff_singular` and explain the model
    in `staff_help` above its list."""

    change_list_template = "admin/integrations/staff_change_list.html"
    staff_plural = ""
    staff_singular = ""
    staff_help = ""

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        words = {"staff_help": self.staff_help, "staff_plural": self.staff_plural,
                 "staff_singular": self.staff_singular}
        if self.staff_plural:
            words["title"] = self.staff_plural
        return super().changelist_view(request, {**words, **(extra_context or {})})

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        words = {"title": self.staff_singular} if self.staff_singular else {}
        return super().change_view(request, object_id, form_url,
                                   {**words, **(extra_context or {})})


class ReadOnlyAdmin(StaffWordsAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AuditLogAdmin(ReadOnlyAdmin):
    """An audit trail: read, never written or deleted from here (one by one or in bulk)."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def patient_names_annotate(queryset: QuerySet[Any], id_field: str) -> QuerySet[Any]:
    """Adds `patient_name` ("Given Family", from the patients the sync knows) beside the
    Nextech patient id in `id_field`: one subquery, not one query per row."""
    known = KnownPatient.objects.filter(nextech_id=OuterRef(id_field))
    name = Concat("given", Value(" "), "family", output_field=CharField())
    return queryset.annotate(patient_name=Subquery(
        known.annotate(full=name).values("full")[:1], output_field=CharField()))


class PatientNamesMixin:
    """A `patient` column: the name beside the Nextech patient id in `patient_field`."""

    patient_field = "patient_ref"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return patient_names_annotate(super().get_queryset(request),  # type: ignore[misc]
                                      self.patient_field)

    @admin.display(description="patient")
    def patient(self, obj: Any) -> str:
        return patient_words(obj, self.patient_field)


def patient_words(obj: Any, id_field: str) -> str:
    """"Jane Doe (12345)", or the id alone for a patient not read from Nextech yet."""
    patient_id = getattr(obj, id_field)
    name = (getattr(obj, "patient_name", "") or "").strip()
    if not patient_id:
        return "-"
    return f"{name} ({patient_id})" if name else str(patient_id)


@admin.register(Location, site=practice_admin_site)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "nextech_id", "active", "billable", "routing_tag"]
    list_filter = ["active", "billable"]
    search_fields = ["name", "nextech_id"]


@admin.register(AppointmentType, AppointmentPurpose, site=practice_admin_site)
class CatalogAdmin(admin.ModelAdmin):
    list_display = ["name", "nextech_id", "active", "pulled_at"]
    search_fields = ["name", "nextech_id"]


class CategoryImportForm(ImportForm):
    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise ValidationError(UPLOAD_LIMIT_TEXT)
        return upload


@admin.register(CategoryMapping, site=practice_admin_site)
class CategoryMappingAdmin(ImportExportModelAdmin):
    """The category spreadsheet: export for the client, import back with a preview. The
    file is read and written as in the portal (`integrations.onboarding.workbook`)."""

    resource_classes = [CategoryMappingResource]
    import_formats = [CategoryXLSX, CategoryCSV]
    export_formats = [CategoryXLSX, CategoryCSV]
    import_form_class = CategoryImportForm
    import_template_name = "admin/integrations/categorymapping/import.html"
    ordering = ["appointment_type__name", "purpose__name"]
    list_display = [
        "appointment_type",
        "purpose",
        "category",
        "source",
        "confirmed_by",
        "confirmed_at",
    ]
    list_filter = ["category", "source"]
    search_fields = ["appointment_type__name", "purpose__name"]
    readonly_fields = ["source", "confirmed_by", "confirmed_at"]
    actions = ["suggestions_confirm_selected"]

    @admin.action(description="Confirm the selected suggested categories as they are")
    def suggestions_confirm_selected(self, request: HttpRequest, queryset: Any) -> None:
        count = suggestions_confirm(mapping_ids=queryset.values_list("pk", flat=True),
                                    by=request.user.get_username())
        self.message_user(request, f"{count} suggested categor{'y' if count == 1 else 'ies'} "
                          "confirmed; their appointments move at the next sync.")

    def save_model(self, request: HttpRequest, obj: CategoryMapping, form: Any,
                   change: bool) -> None:
        """Saving a mapping here is a person deciding it: it is confirmed by them."""
        # As in the portal: a new purpose row followed its type, which may have moved contacts.
        waited = (not change and obj.purpose_id is None) or (
            obj.source == CategoryMapping.Source.SUGGESTED)
        obj.source = CategoryMapping.Source.CONFIRMED
        obj.confirmed_by = request.user.get_username()
        obj.confirmed_at = timezone.now()
        super().save_model(request, obj, form, change)
        if waited:
            waiting_appointments_release(type_ids=[obj.appointment_type.nextech_id],
                                         by=obj.confirmed_by)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # The confirm step imports without this by default, and a sheet that became
        # invalid since its preview (a type removed meanwhile) would half-import.
        return {**super().get_import_data_kwargs(**kwargs),
                "rollback_on_validation_errors": True}

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        # import-export would show the exception's class name ("'BadZipFile' encountered").
        form.add_error("import_file", str(e) if isinstance(e, SpreadsheetRefused) else (
            "The file could not be read. Start from an exported spreadsheet."))

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, "Nothing was imported: some rows no longer validate. "
                              "Upload the file again to see which.", messages.ERROR)
            return HttpResponseRedirect(reverse(
                "admin:integrations_categorymapping_changelist", current_app=self.admin_site.name))
        return super().process_result(result, request)


@admin.register(StageMapping, site=practice_admin_site)
class StageMappingAdmin(admin.ModelAdmin):
    list_display = ["canonical_stage", "ghl_pipeline_name", "ghl_stage_name", "confirmed_at"]


@admin.register(SyncLog, site=practice_admin_site)
class SyncLogAdmin(PatientNamesMixin, PatientAccessLoggedAdmin, AuditLogAdmin):
    staff_plural = "Sync log"
    staff_help = ("What AX Connect did for this practice, newest first: each poll, each "
                  "Nextech event it read and each CRM write. Kept for the retention period; "
                  "it cannot be edited or deleted here.")
    list_display = ["created_at", "level", "kind", "message", "patient", "contact_ref"]
    list_filter = ["level", "kind"]
    search_fields = ["patient_ref", "contact_ref", "message"]

    def access_ref(self, obj: SyncLog) -> str:
        return obj.patient_ref


@admin.register(PatientAccessLog, site=practice_admin_site)
class PatientAccessLogAdmin(PatientNamesMixin, AuditLogAdmin):
    staff_plural = "Patient access log"
    staff_help = ("Who opened which patient's activity in the portal, and when (the HIPAA "
                  "access audit). It cannot be edited or deleted here.")
    list_display = ["viewed_at", "username", "patient", "view"]
    list_filter = ["view"]
    search_fields = ["username", "patient_ref"]


@admin.register(SyncState, site=practice_admin_site)
class SyncStateAdmin(admin.ModelAdmin):
    list_display = ["last_tick_started_at", "last_success_at", "last_error", "ticks_skipped_locked"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(EngineSettings, site=practice_admin_site)
class EngineSettingsAdmin(admin.ModelAdmin):
    """The spec's per-practice options: online routing, review requests, service tags,
    backfill window."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not EngineSettings.objects.exists()  # one row per practice


@admin.register(AutomationRule, site=practice_admin_site)
class AutomationRuleAdmin(admin.ModelAdmin):
    list_display = ["trigger", "workflow_name", "workflow_id", "categories", "active"]
    list_filter = ["trigger", "active"]


@admin.register(ReferralSourceMapping, site=practice_admin_site)
class ReferralSourceMappingAdmin(admin.ModelAdmin):
    """CRM source -> Nextech referral source, for patients NXT-Create creates; an unmapped
    source gets the default referral source of Engine settings (Practice+ needs one)."""

    list_display = ["crm_source", "nextech_referral_source_id", "nextech_referral_source_name"]
    search_fields = ["crm_source", "nextech_referral_source_name"]


@admin.register(CrmField, site=practice_admin_site)
class CrmFieldAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "ghl_field_id", "ghl_field_key"]
    search_fields = ["key", "name"]
