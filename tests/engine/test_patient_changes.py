"""Patient edits in Nextech with no appointment event still reach the linked contact."""

from __future__ import annotations

from datetime import timedelta

from integrations.engine.tick import practice_tick
from integrations.http import ApiError, ErrorKind
from integrations.models import InboxItem, KnownPatient


def test_a_patient_change_with_no_appointment_event_updates_the_linked_contact(rig, in_practice):
    patient = rig.patient_add()
    rig.book(patient, type_id="5")
    rig.later()
    practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    contact_id = rig.contact("dana.reyes@example.com")["id"]

    row = rig.emr.patients[patient]
    row.family, row.email = "Reyes-Okoro", "dana.ro@example.com"
    row.phones = {"mobile": "(678) 555-0199"}
    rig.emr.touch(row)
    rig.later()
    summary = practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl,
                            clock=rig.clock)

    contact = rig.contact("dana.ro@example.com")
    assert contact["id"] == contact_id  # the same contact, updated, not a new one
    assert (contact["lastName"], contact["phone"]) == ("Reyes-Okoro", "+16785550199")
    assert summary["events_processed"] == 0
    assert len(contact["notes"]) == 1  # a patient edit is not an appointment event


def _tick(rig, practice):
    return practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)


def _long_known(rig, **extra) -> str:
    """A patient last edited in Nextech long before the practice was connected."""
    patient = rig.patient_add(**extra)
    rig.emr.patients[patient].last_updated = rig.clock.now() - timedelta(days=400)
    return patient


def test_a_booking_for_a_patient_edited_before_the_sync_began_reads_them_once(
        rig, in_practice):
    patient = _long_known(rig)
    rig.book(patient, type_id="5")
    rig.later()
    summary = _tick(rig, in_practice)

    assert summary["errors"] == 0 and summary["events_processed"] == 1
    contact = rig.contact("dana.reyes@example.com")
    assert (contact["firstName"], contact["lastName"]) == ("Dana", "Reyes")
    assert KnownPatient.objects.get(nextech_id=patient).family == "Reyes"
    rig.book(patient, type_id="5", days_ahead=14)
    rig.later()
    before = rig.nextech.calls
    _tick(rig, in_practice)
    # Known now: the second booking's tick reads the changes and not the patient.
    assert rig.nextech.calls - before == 2  # appointments, patients
    assert len(rig.contact("dana.reyes@example.com")["notes"]) == 2


def test_a_booking_for_a_patient_nextech_cannot_find_is_dead_lettered(
        rig, in_practice, monkeypatch):
    patient = _long_known(rig)
    visit = rig.book(patient, type_id="5")

    def not_found(*, patient_id: str) -> None:
        raise ApiError("nextech", ErrorKind.RECORD, 404, "no such patient")

    monkeypatch.setattr(rig.nextech, "patient_get", not_found)
    rig.later()
    summary = _tick(rig, in_practice)

    assert summary["errors"] == 0 and summary["events_processed"] == 0
    item = InboxItem.objects.get(resource="Appointment", external_id=visit)
    assert item.state == InboxItem.State.DEAD
    assert item.error == f"patient {patient} could not be read from Nextech"
    assert not KnownPatient.objects.filter(nextech_id=patient).exists()
    assert rig.crm()["contacts"] == []
