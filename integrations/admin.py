"""The admin on a practice's own host: its catalog, categories, stages and sync log.

Requests there already run in the practice's schema, so these are ordinary model admins.
Only agency staff with a grant on this practice (`tenants.access`) sign in here; practice
staff use the portal.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from integrations.access_log import PatientAccessLoggedAdmin
from integrations.models import (
    AppointmentPurpose,
    AppointmentType,
    AutomationRule,
    CategoryMapping,
    CrmField,
    EngineSettings,
    Location,
    StageMapping,
    SyncLog,
    SyncState,
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


practice_admin_site = PracticeAdminSite(name="practice_admin")


@admin.register(Location, site=practice_admin_site)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "nextech_id", "active", "billable", "routing_tag"]
    list_filter = ["active", "billable"]
    search_fields = ["name", "nextech_id"]


@admin.register(AppointmentType, AppointmentPurpose, site=practice_admin_site)
class CatalogAdmin(admin.ModelAdmin):
    list_display = ["name", "nextech_id", "active", "pulled_at"]
    search_fields = ["name", "nextech_id"]


@admin.register(CategoryMapping, site=practice_admin_site)
class CategoryMappingAdmin(ImportExportModelAdmin):
    """The category spreadsheet: export for the client, import back with a preview."""

    resource_classes = [CategoryMappingResource]
    import_formats = [XLSX, CSV]
    export_formats = [XLSX, CSV]
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

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # The confirm step imports without this by default, and a sheet that became
        # invalid since its preview (a type removed meanwhile) would half-import.
        return {**super().get_import_data_kwargs(**kwargs),
                "rollback_on_validation_errors": True}

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
class SyncLogAdmin(PatientAccessLoggedAdmin):
    list_display = ["created_at", "level", "kind", "message", "patient_ref", "contact_ref"]
    list_filter = ["level", "kind"]
    search_fields = ["patient_ref", "contact_ref", "message"]

    def access_ref(self, obj: SyncLog) -> str:
        return obj.patient_ref

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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


@admin.register(CrmField, site=practice_admin_site)
class CrmFieldAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "ghl_field_id", "ghl_field_key"]
    search_fields = ["key", "name"]
