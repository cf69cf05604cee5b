"""GET endpoints: which rows each resource path searches, and how one row is read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request

from integrations.nextech.sandbox import render
from integrations.nextech.sandbox.actions import SandboxRuleError
from integrations.nextech.sandbox.search import bundle_page, predicates_build
from integrations.nextech.sandbox.state import PracticeState

Json = dict[str, Any]


def _sources(practice: PracticeState) -> dict[str, tuple[dict[str, Any], Callable[[Any], Json]]]:
    """resource path -> (its rows, how one row renders) for this practice's flavor."""
    def catalog(kind: str) -> Callable[[Any], Json]:
        return lambda row: render.catalog_render(practice, kind, row)

    sources: dict[str, tuple[dict[str, Any], Callable[[Any], Json]]] = {
        "Appointment": (practice.appointments, lambda r: render.appointment_render(practice, r)),
        "Patient": (practice.patients, lambda r: render.patient_render(practice, r)),
        "PaymentReconciliation": (practice.payments, lambda r: render.payment_render(practice, r)),
        "Location": (practice.locations, catalog("Location")),
        "Practitioner": (practice.practitioners, catalog("Practitioner")),
        "appointment-type": (practice.appointment_types, catalog("appointment-type")),
        "appointment-purpose": (practice.purposes, catalog("appointment-purpose")),
    }
    if practice.flavor == "select":  # Practice+ has no appointment-status resource
        sources["appointment-status"] = (practice.statuses, catalog("appointment-status"))
    return sources


def _source(practice: PracticeState, resource: str) -> tuple[dict[str, Any], Callable[[Any], Json]]:
    found = _sources(practice).get(resource)
    if found is None:
        raise SandboxRuleError(404, f"{resource} is not a resource of this API")
    return found


def resource_search(practice: PracticeState, request: Request, resource: str) -> Json:
    rows, render_row = _source(practice, resource)
    predicates = predicates_build(practice, resource, request.args)
    if resource == "Location" and request.args.get("includeAll", "").lower() != "true":
        predicates.append(lambda row: row.extra.get("managed", True))
    # One pass per predicate: every search scans the practice's rows, tens of thousands of
    # appointments in a large one, and this is that scan's cheapest form in Python.
    matched = list(rows.values())
    for predicate in predicates:
        matched = [row for row in matched if predicate(row)]
    matched.sort(key=lambda row: getattr(row, "seq", 0))  # creation order
    return bundle_page(rows=matched, render=render_row, base_url=request.base_url,
                       query_string=request.query_string.decode(),
                       repeat_next=practice.config.repeat_next_link)


def resource_read(practice: PracticeState, resource: str, row_id: str) -> Json:
    rows, render_row = _source(practice, resource)
    row = rows.get(row_id) or rows.get(row_id.lower())
    if row is None and resource == "Patient":  # by GUID or by chart number
        row = next((p for p in rows.values() if p.chart_number == row_id), None)
    if row is None:
        raise SandboxRuleError(404, f"{resource}/{row_id} was not found")
    return render_row(row)
