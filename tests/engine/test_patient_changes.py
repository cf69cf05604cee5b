"""Patient edits in Nextech with no appointment event still reach the linked contact."""

from __future__ import annotations

from integrations.engine.tick import practice_tick


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
