"""Patient activity: find a patient, see what AX Connect did for them and why their
contact is in its stage; every view is in the access log."""

from __future__ import annotations

import html as html_text
import re
from datetime import timedelta

import pytest

from integrations.models import KnownPatient, OutboxOp, PatientAccessLog
from integrations.nextech.sandbox.seed import LOCAL
from tests.portal.conftest import tick


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def synced(rig, in_practice):
    """Dana booked a surgical consult (type 1, purpose 11) and the engine synced it."""
    patient = rig.patient_add()
    rig.book(patient, type_id="1", purpose_ids=["11"])
    rig.later()
    summary = tick(rig, in_practice)
    assert summary["errors"] == 0, summary
    return patient


@pytest.mark.parametrize("query", ["Dana Reyes", "reyes", "DANA.REYES@example.com",
                                   "(404) 555-0101", "5550101"])
def test_search_by_name_email_or_phone_lists_the_patient(portal_a, synced, query):
    response = portal_a.post("/activity/", {"patient": query})
    assert f'href="/activity/{synced}/"' in response.content.decode()
    assert "Dana Reyes" in _text(response)


def test_search_by_nxt_patient_id(portal_a, synced):
    assert f'href="/activity/{synced}/"' in portal_a.post(
        "/activity/", {"patient": synced}).content.decode()


def test_search_without_match_says_so_and_logs_no_access(portal_a, synced, in_practice):
    assert "No patient matches" in _text(portal_a.post("/activity/", {"patient": "Nobody"}))
    assert not PatientAccessLog.objects.exists()


def test_a_search_in_the_url_is_ignored(portal_a, synced):
    """Names never belong in a URL: a link or bookmark with ?q= searches nothing (the page
    is the unfiltered list of recent events)."""
    response = portal_a.get("/activity/", {"q": "Dana Reyes"})
    assert "Patients matching" not in _text(response)
    assert 'value="Dana Reyes"' not in response.content.decode()


def test_timeline_shows_the_note_the_stage_move_and_why(portal_a, synced):
    text = _text(portal_a.get(f"/activity/{synced}/"))
    assert "Dana Reyes" in text
    assert f"NXT Patient ID {synced}" in text
    # Why: the governing appointment for the surgical pipeline.
    assert "Surgical pipeline: Consult Booked" in text
    assert "because of the most recently booked appointment" in text
    assert "Breast Augmentation" in text and "(category Surgical Consult)" in text
    # The timeline: the event, the note as written, the stage move.
    assert "Stage Consult Booked" in text or "stage Consult Booked" in text
    assert "Note added Nextech appointment:" in text
    assert "Category: Surgical Consult" in text
    assert "Moved to Surgical pipeline: Consult Booked" in text


def test_a_failed_write_appears_in_the_timeline_with_its_reason(portal_a, synced,
                                                                 in_practice):
    OutboxOp.objects.create(key="x", patient_id=synced, kind="tags_add",
                            payload={"tags": ["VIP"]}, state=OutboxOp.State.DEAD,
                            last_error="ghl 422 (record): unknown property")
    text = _text(portal_a.get(f"/activity/{synced}/"))
    assert "Failed: Tags added ghl 422 (record): unknown property" in text


def test_every_view_of_a_patients_activity_is_logged(portal_a, synced, member_a, in_practice):
    portal_a.get(f"/activity/{synced}/")
    portal_a.get(f"/activity/{synced}/")
    rows = list(PatientAccessLog.objects.order_by("id"))
    assert [(r.user_id, r.username, r.patient_ref, r.view) for r in rows] == [
        (member_a.pk, "alice", synced, "activity")] * 2
    assert rows[0].viewed_at is not None


def test_an_unknown_patient_is_404_and_not_logged(portal_a, in_practice):
    KnownPatient.objects.create(nextech_id="p-1", given="A", family="B")
    assert portal_a.get("/activity/p-2/").status_code == 404
    assert not PatientAccessLog.objects.exists()


def _events(response) -> list[str]:
    """The activity list's rows, each as a person reads it."""
    html = response.content.decode()
    rows = re.findall(r'<li class="event[^"]*">(.*?)</li>\s*(?=<li class="event|</ol>)', html,
                      re.S)
    return [" ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


@pytest.fixture
def visited(rig, in_practice, synced):
    """Dana's consult then happened, and she paid: three events over two ticks."""
    (appointment_id,) = [a.id for a in rig.emr.appointments.values() if a.patient_id == synced]
    in_practice.payments_enabled = True
    rig.later(60)
    rig.set_status(appointment_id, "fulfilled")
    rig.pay(synced, "250.00")
    rig.later()
    assert tick(rig, in_practice)["errors"] == 0
    return rig.emr.appointments[appointment_id]


def test_the_list_shows_each_event_its_status_patient_stage_move_and_field_changes(
        portal_a, rig, synced, visited):
    rows = _events(portal_a.get("/activity/"))
    assert len(rows) == 3, rows
    fulfilled = next(row for row in rows if "Appointment: Out" in row)  # Nextech's label
    assert "Dana Reyes" in fulfilled
    assert "Surgical pipeline: Consult Booked → Consult Complete" in fulfilled
    payment = next(row for row in rows if "Payment: active" in row)
    # The batch's field changes are on its last event (here the payment), from what to what.
    assert "Patient Lifetime Value: (empty) → 250.00" in payment
    assert "NXT Appointment Status: Confirmed → Out" in payment
    booked = rows[-1]
    assert "Appointment: Confirmed" in booked or "Appointment: Pending" in booked
    assert "Surgical pipeline: Consult Booked" in booked
    assert "First name: (empty) → Dana" in booked  # the contact's first write
    # The event's time in Nextech, in the practice's day: not when AX Connect processed it.
    local = visited.last_updated.astimezone(LOCAL)
    assert f"{local:%b} {local.day}, {local:%-I}:{local:%M}" in fulfilled
    assert f'href="/activity/{synced}/"' in portal_a.get("/activity/").content.decode()


def test_filters_by_status_date_and_patient_without_a_name_in_the_url(
        portal_a, rig, synced, visited, in_practice):
    other = rig.patient_add(given="Lee", family="Park")
    rig.book(other, type_id="1")
    rig.later()
    tick(rig, in_practice)
    everything = _events(portal_a.get("/activity/"))
    assert len(everything) == 4

    statuses = portal_a.get("/activity/").content.decode()
    assert '<option value="payment:active">Payment: active</option>' in statuses
    paid = _events(portal_a.post("/activity/", {"status": "payment:active"}))
    assert len(paid) == 1 and "Dana Reyes" in paid[0]

    response = portal_a.post("/activity/", {"patient": "Lee Park"})
    assert response.request["PATH_INFO"] == "/activity/" and not response.request.get(
        "QUERY_STRING")
    lee = _events(response)
    assert len(lee) == 1 and "Lee Park" in lee[0]

    day = visited.last_updated.astimezone(LOCAL).date()
    assert len(_events(portal_a.post("/activity/", {"day_from": day, "day_to": day}))) == 4
    before = day - timedelta(days=1)
    assert _events(portal_a.post("/activity/", {"day_to": before})) == []
