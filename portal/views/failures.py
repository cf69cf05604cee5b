"""Failures: dead letters with their reasons in front-desk words, and a retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from integrations.access_log import patient_access_record
from integrations.selectors.failures import dead_letters_list
from portal.access import membership_required
from portal.services import dead_letter_retry


@membership_required
@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    letters = dead_letters_list()
    patient_access_record(user=request.user, patient_refs=[x.patient_ref for x in letters],
                          view="failures")
    return render(request, "portal/failures.html", {"letters": letters})


@membership_required
@require_POST
def failure_retry(request: HttpRequest) -> HttpResponse:
    try:
        count = dead_letter_retry(source=request.POST["source"], pk=int(request.POST["pk"]))
    except (KeyError, ValueError):
        return HttpResponseBadRequest("Unknown failure.")
    if count:
        messages.success(request, "Queued again: it will be retried at the next sync.")
    else:
        messages.error(request, "That failure was already retried or cannot be retried.")
    return redirect("portal:failures")
