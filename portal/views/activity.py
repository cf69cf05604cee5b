"""Patient activity: search, then one patient's timeline and current stages.

Every patient a page shows (a search result, a timeline) is written to the access log
before it is shown.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from integrations.access_log import patient_access_record
from integrations.models import KnownPatient
from integrations.selectors.activity import (
    patient_search,
    patient_stages_read,
    patient_timeline_read,
)
from portal.access import membership_required


@membership_required
@require_http_methods(["GET", "POST"])
def activity_search(request: HttpRequest) -> HttpResponse:
    # Searched by POST: what is typed (names, emails, phones) stays out of URLs, so out of
    # access logs, proxies, browser history and Referer headers. A `?q=` is ignored.
    query = request.POST.get("q", "").strip()[:100] if request.method == "POST" else ""
    patients = list(patient_search(query=query)) if query else []
    # Results show names, emails and phones: each patient listed is an access.
    patient_access_record(user=request.user, patient_refs=[p.nextech_id for p in patients],
                          view="search")
    return render(request, "portal/activity_search.html",
                  {"query": query, "patients": patients})


@membership_required
@require_GET
def activity_patient(request: HttpRequest, patient_ref: str) -> HttpResponse:
    patient = KnownPatient.objects.filter(nextech_id=patient_ref).first()
    if patient is None:
        raise Http404("No such patient at this practice.")
    patient_access_record(user=request.user, patient_refs=[patient.nextech_id],
                          view="activity")
    practice = request.tenant  # type: ignore[attr-defined]
    context = {
        "patient": patient,
        "stages": patient_stages_read(practice=practice, patient=patient),
        "timeline": patient_timeline_read(patient=patient),
    }
    return render(request, "portal/activity_patient.html", context)
