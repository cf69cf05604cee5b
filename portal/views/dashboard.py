"""The dashboard: sync health, what needs review, credential status and locations."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from integrations.selectors.billing import locations_list
from integrations.selectors.health import credentials_status_read, sync_health_read
from integrations.selectors.review import review_queue_read
from portal.access import membership_required
from tenants.poll_budget import budget_line, practice_poll_plan


@membership_required
def dashboard(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    now = timezone.now()
    plan = practice_poll_plan(practice=practice, now=now)
    context = {
        "practice": practice,
        "plan": plan,
        "budget_line": budget_line(plan),
        "health": sync_health_read(practice=practice, now=now),
        "review": review_queue_read(practice=practice, now=now),
        "credentials": credentials_status_read(practice=practice),
        "locations": locations_list(),
    }
    return render(request, "portal/dashboard.html", context)
