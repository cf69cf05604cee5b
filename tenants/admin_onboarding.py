"""The practice page's onboarding checklist and its buttons, and the billing report's URL
(mixed into PracticeAdmin)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse

from integrations.onboarding import summary_as_dict
from tenants.models import Practice
from tenants.onboarding import (
    ACTIVATE_ANYWAY,
    checklist_open_while_active,
    nextech_connection_test,
    practice_activate,
    practice_checklist_read,
    practice_setup_run,
)
from tenants.views_billing import agency_billing

ACTIONS = ("test-nextech", "setup", "activate")


def _setup_message(practice: Practice) -> tuple[int, str]:
    digest = summary_as_dict(practice_setup_run(practice=practice))
    if digest["failures"]:
        failed = "; ".join(f"{step}: {why}" for step, why in digest["failures"].items())
        return messages.ERROR, f"Set-up did not finish ({failed}). Fix it and run set-up again."
    unmatched = digest["stages_unmatched"]
    return messages.SUCCESS, (
        f"Set-up done: {digest['types']} types, {digest['purposes']} purposes, "
        f"{digest['suggested_mappings']} categories suggested, {digest['locations']} locations, "
        f"{digest['fields']} CRM fields."
        + (f" Stages to map by hand: {', '.join(unmatched)}." if unmatched else ""))


class OnboardingAdminMixin:
    """Adds `onboarding` (the checklist) and its action URLs to the practice change page."""

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        mine = [
            path("billing/", wrap(agency_billing), name="tenants_practice_billing"),
            path("<int:practice_id>/onboarding/<str:action>/", wrap(self.onboarding_action),
                 name="tenants_practice_onboarding"),
        ]
        return mine + super().get_urls()  # type: ignore[misc]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = dict(extra_context or {})
        practice = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if practice is not None and not practice.is_public:
            checklist = practice_checklist_read(practice=practice)
            context["onboarding"] = checklist
            context["onboarding_warning"] = checklist_open_while_active(
                practice=practice, items=checklist)
            context["activate_anyway"] = next(
                (ACTIVATE_ANYWAY for item in checklist
                 if item.key == "categories" and not item.done), "")
            context["onboarding_urls"] = {
                action.replace("-", "_"): reverse(
                    f"{self.admin_site.name}:tenants_practice_onboarding",  # type: ignore[attr-defined]
                    args=[practice.pk, action])
                for action in ACTIONS}
        return super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context=context)

    def onboarding_action(self, request: HttpRequest, practice_id: int,
                          action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        if action not in ACTIONS:
            raise Http404
        practice = get_object_or_404(Practice.objects.exclude(schema_name="public"),
                                     pk=practice_id)
        if action == "test-nextech":
            result = nextech_connection_test(practice=practice)
            level, text = (messages.SUCCESS if result.ok else messages.ERROR), result.message
        elif action == "setup":
            level, text = _setup_message(practice)
        else:
            ok, text = practice_activate(practice=practice,
                                         anyway=request.POST.get("anyway") == "1")
            level = messages.SUCCESS if ok else messages.ERROR
        messages.add_message(request, level, text)
        return redirect(reverse(f"{self.admin_site.name}:tenants_practice_change",  # type: ignore[attr-defined]
                                args=[practice.pk]))
