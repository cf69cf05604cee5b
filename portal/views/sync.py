"""Staff's "Sync now": one tick of the practice, queued at once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.access import membership_required
from portal.services import practice_sync_request

SAID = {
    "queued": (messages.SUCCESS, "Sync queued: it starts within a minute. Reload this page "
                                 "to see it under “Last successful poll”."),
    "recent": (messages.INFO, "A sync was asked for less than a minute ago and is on its way."),
    "not_polled": (messages.ERROR, "This practice is not syncing (paused or still being set "
                                   "up): ask your agency."),
}


@membership_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    outcome = practice_sync_request(practice=request.tenant,  # type: ignore[attr-defined]
                                    user=request.user, now=timezone.now())
    level, text = SAID[outcome]
    messages.add_message(request, level, text)
    return redirect("portal:dashboard")
