"""Patient activity: the list of recent events (filtered by status, date and patient), and
one patient's timeline and current stages.

Every view of a patient's activity is written to the access log before it is shown.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

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
from portal.services import patient_access_record


@membership_required
@require_http_methods(["GET", "POST"])
def activity_search(request: HttpRequest) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    statuses = activity_statuses()
    form = ActivityFilterForm(request.POST if request.method == "POST" else None,
                              statuses=statuses)
    filters = form.activity_filter() if form.is_valid() else ActivityFilter()
    # Names of matching patients are listed, not opened: the log records views of one
    # patient's activity.
    patients = list(patient_search(query=filters.patient)) if filters.patient else []
    context = {
        "form": form,
        "filters": filters,
        "patients": patients,
        "events": activity_list(filters=filters, time_zone=practice.time_zone),
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
    patient_access_record(user=request.user, patient_ref=patient.nextech_id, view="activity")
    practice = request.tenant  # type: ignore[attr-defined]
    context = {
        "patient": patient,
        "stages": patient_stages_read(practice=practice, patient=patient),
        "timeline": patient_timeline_read(patient=patient),
        "time_zone": practice.time_zone,
    }
    return render(request, "portal/activity_patient.html", context)
