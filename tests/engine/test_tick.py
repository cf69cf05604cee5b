"""Whole ticks against both sandboxes: what a practice's staff would see in the CRM."""

from __future__ import annotations

from integrations.engine.tick import practice_tick
from integrations.ghl.fields import ALL_FIELDS
from integrations.models import CrmField, EngineSettings, InboxItem, OutboxOp


def tick(rig, practice):
    return practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)


def test_a_booking_creates_the_contact_with_fields_note_and_opportunity(rig, in_practice):
    patient = rig.patient_add()
    rig.book(patient, type_id="1", purpose_ids=["11"])
    rig.later()
    summary = tick(rig, in_practice)

    assert summary["errors"] == 0, summary
    contact = rig.contact("dana.reyes@example.com")
    assert contact["phone"] == "+14045550101"
    fields = contact["customFields"]
    assert fields["nxt_patient_id"] == patient
    assert fields["nxt_appointment_type"] == "Surgical Consult"
    assert fields["nxt_appointment_purpose"] == "Breast Augmentation"
    assert fields["appointment_category"] == "Surgical Consult"
    assert fields["next_visit_service"] == "Breast Augmentation"
    assert len(contact["notes"]) == 1
    assert "Category: Surgical Consult" in contact["notes"][0]["body"]
    (opportunity,) = contact["opportunities"]
    assert (opportunity["pipeline"], opportunity["stage"], opportunity["status"]) == (
        "Surgical",
        "Consult Booked",
        "open",
    )


def test_polling_again_with_no_change_makes_no_crm_call(rig, in_practice):
    # The NXT-Create tag search (one CRM call) is not due on the second tick.
    EngineSettings.objects.update_or_create(pk=1, defaults={"nxt_create_reconcile_minutes": 15})
    rig.book(rig.patient_add(), type_id="5")
    rig.later()
    tick(rig, in_practice)
    rig.later()
    calls_before = rig.ghl.calls
    summary = tick(rig, in_practice)
    assert rig.ghl.calls == calls_before
    assert summary["operations_sent"] == 0
    assert len(rig.contact("dana.reyes@example.com")["notes"]) == 1


def test_fulfilled_moves_to_consult_complete_won_and_sets_birthday(rig, in_practice):
    patient = rig.patient_add()
    visit = rig.book(patient, type_id="1", days_ahead=0)
    rig.later()
    tick(rig, in_practice)
    rig.set_status(visit, "fulfilled")
    rig.later()
    tick(rig, in_practice)

    contact = rig.contact("dana.reyes@example.com")
    assert contact["customFields"]["nxt_birthday"] == "1988-04-12"
    assert contact["dateOfBirth"].startswith("1988-04-12")
    assert contact["customFields"]["last_visit_service"] == "Surgical Consult"
    (opportunity,) = contact["opportunities"]
    assert (opportunity["stage"], opportunity["status"]) == ("Consult Complete", "won")
    assert len(contact["notes"]) == 2


def test_a_malformed_appointment_is_dead_lettered_and_the_run_goes_on(rig, in_practice):
    good = rig.patient_add()
    rig.book(good, type_id="5")
    broken = rig.book(rig.patient_add("Lee", "Park"), type_id="5")
    rig.session.post(
        f"http://nextech.sandbox/_sandbox/practices/{rig.emr.config.practice_id}"
        f"/appointments/{broken}/break",
        json={"drop": ["start"]},
        timeout=5,
    )
    rig.later()
    summary = tick(rig, in_practice)

    assert summary["dead_letters"] == 1
    dead = InboxItem.objects.get(state=InboxItem.State.DEAD)
    assert "start" in dead.error
    assert rig.contact("dana.reyes@example.com")["notes"]
    assert not OutboxOp.objects.filter(state=OutboxOp.State.DEAD).exists()


def test_patients_sharing_a_phone_get_their_own_contacts(rig, in_practice):
    shared = {"mobile": "(404) 555-0188"}
    rig.book(rig.patient_add("Dana", "Reyes", phones=shared), type_id="5")
    rig.later()
    tick(rig, in_practice)
    rig.book(rig.patient_add("Luis", "Reyes", phones=shared), type_id="5")
    rig.later()
    tick(rig, in_practice)

    dana, luis = rig.contact("dana.reyes@example.com"), rig.contact("luis.reyes@example.com")
    assert dana["id"] != luis["id"]
    assert dana["customFields"]["nxt_patient_id"] != luis["customFields"]["nxt_patient_id"]
    assert dana["phone"] == "+14045550188"


def test_first_activation_backfills_an_upcoming_visit_not_changed_for_months(rig, in_practice):
    from integrations.engine.read import backfill_pending

    rig.book(rig.patient_add(), type_id="2", days_ahead=150)
    rig.later(minutes=100 * 24 * 60)  # the booking is now 100 days old, 50 days ahead
    tick(rig, in_practice)

    contact = rig.contact("dana.reyes@example.com")
    assert contact["customFields"]["nxt_appointment_type"] == "Cosmetic Surgery"
    assert backfill_pending() is None  # done, and not repeated on the next tick
    calls_before = rig.nextech.calls
    tick(rig, in_practice)
    assert rig.nextech.calls - calls_before <= 3  # an idle tick: one search per resource


def test_a_practice_without_nextech_credentials_needs_attention_and_says_why(in_practice):
    from tenants.models import Practice

    summary = practice_tick(practice=in_practice)
    assert summary["errors"] == 1
    in_practice.refresh_from_db()
    assert in_practice.status == Practice.Status.NEEDS_ATTENTION
    assert "Nextech is not connected" in in_practice.status_reason




def test_a_practice_set_up_before_the_time_fields_gets_them_on_its_next_write(rig, in_practice):
    added = {"nxt_appointment_time", "nxt_next_visit_time"}
    rig.fresh_location()
    CrmField.objects.all().delete()
    rig.crm_setup(definitions=[d for d in ALL_FIELDS if d.key not in added])
    rig.book(rig.patient_add(), type_id="5")
    rig.later()
    summary = tick(rig, in_practice)

    assert summary["errors"] == 0 and summary["dead_letters"] == 0, summary
    fields = rig.contact("dana.reyes@example.com")["customFields"]
    assert (fields["nxt_appointment_time"], fields["nxt_next_visit_time"]) == (
        "10:00 AM", "10:00 AM")
    names = [f.name for f in rig.ghl.custom_fields_list()]
    assert names.count("NXT Appointment Time") == names.count("NXT Next Visit Time") == 1
