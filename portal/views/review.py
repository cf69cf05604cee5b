"""The review queue: everything that waits for a person, with where to fix it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from integrations.selectors.failures import crm_contacts_url
from integrations.selectors.review import review_queue_read
from portal.access import membership_required


@membership_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    queue = review_queue_read(practice=practice, now=timezone.now())
    return render(request, "portal/review.html", {
        "queue": queue, "crm_contacts_url": crm_contacts_url(practice=practice)})
