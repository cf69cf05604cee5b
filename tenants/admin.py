"""The agency's admin, on the public host: practices, their credentials and memberships."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django_tenants.admin import TenantAdminMixin

from tenants.admin_forms import GhlCredentialForm, NextechCredentialForm, PracticeForm
from tenants.admin_onboarding import OnboardingAdminMixin  # checklist, buttons, billing
from tenants.ghl.admin import GhlConnectAdminMixin, WebhookDeliveryAdmin
from tenants.models import (
    GhlCredential,
    Membership,
    NextechCredential,
    Practice,
    WebhookDelivery,
)
from tenants.poll_budget import practice_calls_summary
from tenants.practice_glance import (
    glance_from,
    glance_judge,
    last_sync_words,
    practices_attention_read,
    practices_glance_annotate,
)
from tenants.services import practice_create, practice_update
from tenants.two_factor import SecondFactorAdminMixin

PUBLIC_SCHEMA = "public"
PAYMENTS_WARNING = (
    "Payments set Invoice Paid Amount and Patient Lifetime Value from Nextech payments. "
    "Not recommended for plastic-surgery practices: payments do not tie to appointments, and "
    "reconciliations, credits and payment plans distort projections. Works well for med spas."
)


POLLING_NOTE = (
    "Polled at the opening-hours interval while any location is open, at the closed interval "
    "otherwise, and once at opening. With a daily Nextech call budget, the opening-hours "
    "interval is stretched when the day's projected calls would exceed it."
)


class AgencyAdminSite(SecondFactorAdminMixin, admin.AdminSite):
    site_header = "AX Connect: agency"
    site_title = "AX Connect agency"
    index_title = "Practices that need attention"
    index_template = "admin/agency_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None
              ) -> TemplateResponse:
        now = timezone.now()
        rows = practices_attention_read(now=now)
        context = {
            "attention": [{"glance": glance, "verdict": verdict,
                           "last_sync": last_sync_words(glance.last_success_at, now=now)}
                          for glance, verdict in rows if verdict.score],
            "practices_fine": sum(1 for _, verdict in rows if not verdict.score),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)


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
    readonly_fields = ["location_name", "token_status", "connected_at", "last_error"]

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


def _practice_host(practice: Practice) -> str | None:
    """The practice's primary host name, from its prefetched domains when the list has them
    (one query for the whole list, not one per row)."""
    if not practice.pk:
        return None
    domain = next((d for d in practice.domains.all() if d.is_primary), None)
    return domain.domain if domain is not None else None


@admin.register(Practice, site=agency_admin_site)
class PracticeAdmin(OnboardingAdminMixin, GhlConnectAdminMixin, TenantAdminMixin,
                    admin.ModelAdmin):
    # Extends django-tenants' form (which guards saving from another schema) with GoHighLevel.
    change_form_template = "admin/tenants/practice/change_form.html"
    form = PracticeForm
    list_display = [
        "name",
        "health",
        "last_sync",
        "status",
        "portal_link",
        "emr_flavor",
        "practice_type",
        "poll_interval_minutes",
    ]
    list_filter = ["status", "emr_flavor", "practice_type"]
    search_fields = ["name", "slug"]
    readonly_fields = ["schema_name", "status_changed_at", "created_at", "portal_link",
                       "nextech_calls_today"]
    inlines = [NextechCredentialInline, GhlCredentialInline, MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "portal_link", "schema_name"]}),
        ("Practice", {"fields": ["emr_flavor", "practice_type", "time_zone", "country"]}),
        (
            "Sync",
            {
                "fields": ["poll_interval_minutes", "payments"],
                "description": PAYMENTS_WARNING,
            },
        ),
        (
            "Polling schedule",
            {
                "fields": ["opening_hours", "slow_poll_interval_minutes",
                           "nextech_daily_call_budget", "nextech_calls_today"],
                "description": POLLING_NOTE,
            },
        ),
        ("Status", {"fields": ["status", "status_reason", "status_changed_at"]}),
        ("Billing", {"fields": ["price_per_location", "created_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Practice]:
        # The agency's own public tenant is not a practice: it is never listed, opened or
        # deleted here (its schema holds every practice's rows).
        queryset = super().get_queryset(request).exclude(schema_name=PUBLIC_SCHEMA)
        return practices_glance_annotate(queryset.prefetch_related("domains"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_public:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Practice]) -> None:
        super().delete_queryset(request, queryset.exclude(schema_name=PUBLIC_SCHEMA))

    def delete_model(self, request: HttpRequest, obj: Practice) -> None:
        if obj.is_public:
            raise PermissionDenied("The agency's public tenant cannot be deleted.")
        super().delete_model(request, obj)

    @admin.display(description="Health")
    def health(self, obj: Practice) -> str:
        # The worst problem, kept short, and how many more: the home lists them all.
        verdict = glance_judge(glance_from(obj), now=timezone.now())
        if not verdict.problems:
            return mark_safe('<span class="health health-ok">OK</span>')  # noqa: S308 - a constant
        worst = Truncator(verdict.problems[0]).chars(70)
        more = len(verdict.problems) - 1
        return format_html('<span class="health health-{}" title="{}">{}{}</span>',
                           verdict.level, "; ".join(verdict.problems), worst,
                           f" (+{more} more)" if more else "")

    @admin.display(description="Last sync", ordering="glance_last_success")
    def last_sync(self, obj: Practice) -> str:
        return last_sync_words(glance_from(obj).last_success_at, now=timezone.now())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "slug"] if obj is not None else fields

    @admin.display(description="Portal")
    def portal_link(self, obj: Practice) -> str:
        host = _practice_host(obj)
        if host is None:
            return "-"
        return format_html('<a href="//{}{}/">{}</a>', host, settings.PORT_SUFFIX, host)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = dict(extra_context or {})
        practice = self.get_object(request, object_id)
        host = _practice_host(practice) if practice is not None else None
        if host is not None:
            origin = f"//{host}{settings.PORT_SUFFIX}"
            context["practice_links"] = {"admin": f"{origin}/admin/", "portal": f"{origin}/"}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="Nextech calls today")
    def nextech_calls_today(self, obj: Practice) -> str:
        if not obj.pk or obj.is_public:
            return "-"
        return practice_calls_summary(practice=obj, now=timezone.now())

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

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "practice":
            kwargs["queryset"] = Practice.objects.exclude(schema_name=PUBLIC_SCHEMA)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
