"""Patient activity: find a patient, see what AX Connect did for them and why their
contact is in its stage; every view is in the access log."""

from __future__ import annotations

import re

import pytest

from integrations.models import KnownPatient, OutboxOp, PatientAccessLog
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
    response = portal_a.post("/activity/", {"q": query})
    assert f'href="/activity/{synced}/"' in response.content.decode()
    assert "Dana Reyes" in _text(response)


def test_search_by_nxt_patient_id(portal_a, synced):
    assert f'href="/activity/{synced}/"' in portal_a.post(
        "/activity/", {"q": synced}).content.decode()


def test_search_without_match_says_so_and_logs_no_access(portal_a, synced, in_practice):
    assert "No patient matches" in _text(portal_a.post("/activity/", {"q": "Nobody"}))
    assert not PatientAccessLog.objects.exists()


def test_a_search_in_the_url_is_ignored(portal_a, synced):
    """Names never belong in a URL: a link or bookmark with ?q= finds nothing."""
    text = _text(portal_a.get("/activity/", {"q": "Dana Reyes"}))
    assert "Dana Reyes" not in text and "Patients matching" not in text


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
