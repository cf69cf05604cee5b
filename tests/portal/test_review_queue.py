"""The dashboard's "needs your review" count and the one queue it links to: failed
writes, failed NXT-Creates, types to map or confirm, appointments flagged for review."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from integrations.models import (
    CategoryMapping,
    InboxItem,
    KnownAppointment,
    KnownPatient,
    NxtCreateRequest,
    OutboxOp,
)
from tenants.models import Practice
from tests.portal.conftest import in_schema


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def _surgical_booking(n: int, *, days: int) -> None:
    KnownAppointment.objects.create(
        nextech_id=f"a{n}", patient_id="p1", status="booked", status_label="Confirmed",
        start=timezone.now() + timedelta(days=days), type_id="1", type_name="Surgical Consult")


def test_an_nxt_create_failure_alone_is_not_hidden_behind_a_green_dashboard(
        portal_a, practice_a):
    with in_schema(practice_a):
        NxtCreateRequest.objects.create(
            contact_id="c-1", state=NxtCreateRequest.State.FAILED, failed_at=timezone.now(),
            problems="Date of birth is missing")
    dashboard = _text(portal_a.get("/"))
    assert "Needs your review: 1" in dashboard
    assert "Nothing needs your review" not in dashboard
    queue = _text(portal_a.get("/review/"))
    assert "Failed changes (1)" in queue
    assert "Creating the patient in Nextech (NXT-Create)" in queue


def test_the_count_is_the_queue_failures_types_and_flagged_appointments(
        portal_a, practice_a, catalog_a):
    practice_a.practice_type = Practice.Kind.MEDSPA
    practice_a.save(update_fields=["practice_type"])
    with in_schema(practice_a):
        KnownPatient.objects.create(nextech_id="p1", given="Dana", family="Reyes")
        OutboxOp.objects.create(key="k1", patient_id="p1", kind="note_add", payload={},
                                state=OutboxOp.State.DEAD, last_error="ghl 422")
        InboxItem.objects.create(resource="Appointment", external_id="x", version="1",
                                 payload={}, state=InboxItem.State.DEAD, error="unreadable")
        NxtCreateRequest.objects.create(contact_id="c-1", state=NxtCreateRequest.State.FAILED,
                                        failed_at=timezone.now(), problems="Phone is missing")
        for n in range(3):
            _surgical_booking(n, days=n)
        _surgical_booking(9, days=-40)  # long past: no longer in the queue
    # 3 failures + Zeta Follow Up (not mapped) + Botox (suggested) + 3 surgical consults.
    assert "Needs your review: 8" in _text(portal_a.get("/"))
    queue = _text(portal_a.get("/review/"))
    assert "8 items wait for a person" in queue
    assert "Failed changes (3)" in queue
    assert "Appointment types to map or confirm (2)" in queue
    assert "Zeta Follow Up : not mapped" in queue
    assert "Botox : suggested “Non-Surgical Consult”, not confirmed yet" in queue
    assert "Appointments flagged for review (3)" in queue
    assert queue.count("Surgical Consult , Confirmed") == 3
    assert "Dana Reyes" in queue

    with in_schema(practice_a):
        CategoryMapping.objects.filter(appointment_type=catalog_a["consult"]).update(
            category="non_surgical_consult")
    assert "Appointments flagged" not in _text(portal_a.get("/review/"))


def test_a_surgical_practice_flags_nothing_and_an_empty_queue_says_so(
        portal_a, practice_a, catalog_a):
    with in_schema(practice_a):
        CategoryMapping.objects.update(source=CategoryMapping.Source.CONFIRMED)
        CategoryMapping.objects.create(appointment_type=catalog_a["mystery"],
                                       category="post_op", source="confirmed")
        _surgical_booking(1, days=1)
    assert "Nothing needs your review" in _text(portal_a.get("/"))
    assert "Nothing needs your review." in _text(portal_a.get("/review/"))
