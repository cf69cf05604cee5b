"""The agency's admin, on the public host: practices, their credentials and memberships."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from django.utils.html import format_html
from django_tenants.admin import TenantAdminMixin

from tenants.admin_forms import GhlCredentialForm, NextechCredentialForm
from tenants.admin_onboarding import OnboardingAdminMixin  # checklist, buttons, billing
from tenants.ghl.admin import GhlConnectAdminMixin, WebhookDeliveryAdmin
from tenants.models import (
    GhlCredential,
    Membership,
    NextechCredential,
    Practice,
    WebhookDelivery,
)
from tenants.services import practice_create, practice_update
from tenants.two_factor import SecondFactorAdminMixin

PAYMENTS_WARNING = (
    "Payments set Invoice Paid Amount and Patient Lifetime Value from Nextech payments. "
    "Not recommended for plastic-surgery practices: payments do not tie to appointments, and "
    "reconciliations, credits and payment plans distort projections. Works well for med spas."
)


class AgencyAdminSite(SecondFactorAdminMixin, admin.AdminSite):
    site_header = "AX Connect: agency"
    site_title = "AX Connect agency"
    index_title = "Practices and operations"


agency_admin_site = AgencyAdminSite(name="agency_admin")
agency_admin_site.register(User, UserAdmin)
agency_admin_site.register(Group, GroupAdmin)
agency_admin_site.register(WebhookDelivery, WebhookDeliveryAdmin)


class NextechCredentialInline(admin.StackedInline):
    model = NextechCredential
    form = NextechCredentialForm
    extra = 0
    max_num = 1
    readonly_fields = ["token_status", "last_verified_at", "last_error"]

    @admin.display(description="Tokens")
    def token_status(self, obj: NextechCredential) -> str:
        if not obj.pk or not obj.access_token:
            return "No token yet"
        return f"Access token until {obj.access_expires_at}; refresh until {obj.refresh_expires_at}"


class GhlCredentialInline(admin.StackedInline):
    model = GhlCredential
    form = GhlCredentialForm
    extra = 0
    max_num = 1
    readonly_fields = ["token_status", "connected_at", "last_error"]

    @admin.display(description="Tokens")
    def token_status(self, obj: GhlCredential) -> str:
        if not obj.pk or not (obj.access_token or obj.private_token):
            return "Not connected"
        if obj.private_token:
            return "Private integration token stored"
        return f"Connected; access token until {obj.access_expires_at}"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Practice, site=agency_admin_site)
class PracticeAdmin(OnboardingAdminMixin, GhlConnectAdminMixin, TenantAdminMixin,
                    admin.ModelAdmin):
    # Extends django-tenants' form (which guards saving from another schema) with GoHighLevel.
    change_form_template = "admin/tenants/practice/change_form.html"
    list_display = [
        "name",
        "portal_link",
        "emr_flavor",
        "practice_type",
        "status",
        "status_reason",
        "poll_interval_minutes",
    ]
    list_filter = ["status", "emr_flavor", "practice_type"]
    search_fields = ["name", "slug"]
    readonly_fields = ["schema_name", "status_changed_at", "created_at", "portal_link"]
    inlines = [NextechCredentialInline, GhlCredentialInline, MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "portal_link", "schema_name"]}),
        ("Practice", {"fields": ["emr_flavor", "practice_type", "time_zone", "country"]}),
        (
            "Sync",
            {
                "fields": ["poll_interval_minutes", "payments_enabled"],
                "description": PAYMENTS_WARNING,
            },
        ),
        ("Status", {"fields": ["status", "status_reason", "status_changed_at"]}),
        ("Billing", {"fields": ["price_per_location", "created_at"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "slug"] if obj is not None else fields

    @admin.display(description="Portal")
    def portal_link(self, obj: Practice) -> str:
        if not obj.pk:
            return "-"
        domain = obj.get_primary_domain()
        if domain is None:
            return "-"
        port = settings.PORT_SUFFIX
        return format_html('<a href="//{}{}/">{}</a>', domain.domain, port, domain.domain)

    def save_model(self, request: HttpRequest, obj: Practice, form: Any, change: bool) -> None:
        if change:
            practice_update(practice=obj)
        else:
            practice_create(practice=obj)


@admin.register(Membership, site=agency_admin_site)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "practice", "role", "created_at"]
    list_filter = ["role", "practice"]
    autocomplete_fields = ["user"]
