"""Patient activity: the list of recent events (filtered by status, date and patient), and
one patient's timeline and current stages.

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
from integrations.selectors.events import ActivityFilter, activity_list, activity_statuses
from integrations.selectors.failures import crm_contacts_url
from portal.access import membership_required
from portal.forms import ActivityFilterForm


@membership_required
@require_http_methods(["GET", "POST"])
def activity_search(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    statuses = activity_statuses()
    form = ActivityFilterForm(request.POST if request.method == "POST" else None,
                              statuses=statuses)
    filters = form.activity_filter() if form.is_valid() else ActivityFilter()
    # Searched by POST: what is typed (names, emails, phones) stays out of URLs, so out of
    # access logs, proxies, browser history and Referer headers.
    patients = list(patient_search(query=filters.patient)) if filters.patient else []
    events = activity_list(filters=filters, time_zone=practice.time_zone)
    # Every patient the page names is an access: the search's results, the events' patients.
    patient_access_record(user=request.user, view="search",
                          patient_refs=[p.nextech_id for p in patients])
    patient_access_record(user=request.user, view="activity list",
                          patient_refs=[e.patient_ref for e in events if e.patient_ref])
    context = {
        "form": form,
        "filters": filters,
        "patients": patients,
        "events": events,
        "time_zone": practice.time_zone,
        "crm_contacts_url": crm_contacts_url(practice=practice),
    }
    return render(request, "portal/activity_search.html", context)


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
        "time_zone": practice.time_zone,
    }
    return render(request, "portal/activity_patient.html", context)
