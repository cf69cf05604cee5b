"""Failures: dead letters with their reasons in front-desk words, and a retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from integrations.access_log import patient_access_record
from integrations.selectors.failures import (
    SOURCES,
    crm_contacts_url,
    dead_letter_find,
    dead_letters_list,
)
from portal.access import membership_required
from portal.services import dead_letter_retry

# What a retry sets in motion, per kind of failure. No patient name: messages travel in a
# cookie.
RETRY_QUEUED = {
    "outbox": "Retry queued: {what}. It is sent again at the next sync, every {minutes} "
              "minutes; if it fails again it comes back to this page.",
    "inbox": "Retry queued: {what}. The change is decided again at the next sync, every "
             "{minutes} minutes; if it fails again it comes back to this page.",
    "nxt_create": "Retry queued: {what}. The next sync, every {minutes} minutes, tries again "
                  "(the contact needs no new NXT-Create tag); the outcome is noted on the "
                  "contact in Aesthetix CRM.",
}


@membership_required
@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    letters = dead_letters_list()
    patient_access_record(user=request.user, patient_refs=[x.patient_ref for x in letters],
                          view="failures")
    return render(request, "portal/failures.html", {
        "letters": letters, "crm_contacts_url": crm_contacts_url(practice=practice)})


@membership_required
@require_POST
def failure_retry(request: HttpRequest) -> HttpResponse:
    try:
        source, pk = request.POST["source"], int(request.POST["pk"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("Unknown failure.")
    if source not in SOURCES:
        return HttpResponseBadRequest("Unknown failure.")
    letter = dead_letter_find(source=source, pk=pk)
    if letter is None or not letter.retryable or not dead_letter_retry(source=source, pk=pk):
        messages.error(request, "That failure was already retried or cannot be retried.")
        return redirect("portal:failures")
    minutes = request.tenant.poll_interval_minutes  # type: ignore[attr-defined]
    messages.success(request, RETRY_QUEUED[source].format(what=letter.what, minutes=minutes))
    return redirect("portal:failures")
