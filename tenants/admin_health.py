"""The agency's health dashboard and incident list, on the public admin.

Kept out of tenants/admin.py: imported by axconnect/urls_public.py, which registers these
on `agency_admin_site` before its URLs are built.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from integrations.health import PracticeHealth as Figures
from integrations.health import agency_health
from tenants.admin import agency_admin_site
from tenants.models import Incident, Practice, PracticeHealth
from tenants.practice_glance import duration_words


def _row(figures: Figures, now: Any) -> dict[str, Any]:
    rate = figures.error_rate
    return {
        "figures": figures,
        "status": Practice.Status(figures.status).label,
        "since_success": duration_words(now - figures.last_success_at)
        if figures.last_success_at else "never",
        "cursor_lag": duration_words(figures.cursor_lag),
        "error_rate": f"{rate:.0%} of {figures.recent_ticks}" if rate is not None else "–",
        "oldest_pending": duration_words(now - figures.outbox_oldest_pending_at)
        if figures.outbox_oldest_pending_at else "",
    }


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PracticeHealth, site=agency_admin_site)
class PracticeHealthAdmin(ReadOnlyAdmin):
    """Every practice with its health figures, worst first. Read-only."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": "Practice health",
            "opts": self.model._meta,
            "rows": [_row(figures, now) for figures in agency_health(now=now)],
            "open_incidents": Incident.objects.filter(resolved_at__isnull=True)
            .select_related("practice").order_by("-opened_at"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/health/dashboard.html", context)


@admin.register(Incident, site=agency_admin_site)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["practice", "kind", "opened_at", "resolved_at", "notified"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["practice__name", "detail"]
    readonly_fields = [f.name for f in Incident._meta.fields]

    @admin.display(description="Agency told")
    def notified(self, obj: Incident) -> str:
        """Only what was emailed; with ALERT_EMAILS empty nobody was told."""
        told = [f"{what} emailed {when:%Y-%m-%d %H:%M}" for what, when in (
            ("opening", obj.opened_notified_at), ("resolution", obj.resolved_notified_at))
            if when]
        if told:
            return "; ".join(told)
        if settings.ALERT_EMAILS:
            return "not emailed yet"
        return "not emailed (ALERT_EMAILS is empty)"
