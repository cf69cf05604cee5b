"""The spec's pipeline tables and each trigger's field list, end to end: a change made in
the Nextech sandbox, one tick through the real clients, and what the CRM sandbox shows."""

from __future__ import annotations

import pytest

from integrations.categories import Category
from integrations.engine.tick import practice_tick
from integrations.models import AppointmentType, CategoryMapping

# (Nextech type id in the seeded catalog, status) -> (pipeline, stage) as the spec's tables say.
ROWS = [
    ("1", "pending", "Surgical", "Consult Booked"),
    ("1", "booked", "Surgical", "Consult Booked"),
    ("1", "fulfilled", "Surgical", "Consult Complete"),
    ("1", "cancelled", "Surgical", "Cancelled / No-Show"),
    ("1", "noshow", "Surgical", "Cancelled / No-Show"),
    ("2", "pending", "Surgical", "Surgery Scheduled"),
    ("2", "booked", "Surgical", "Surgery Scheduled"),
    ("2", "fulfilled", "Surgical", "Surgery Complete"),
    ("2", "cancelled", "Surgical", "Cancelled / No-Show"),
    ("2", "noshow", "Surgical", "Cancelled / No-Show"),
    ("7", "pending", "Non-Surgical", "Booked"),  # mapped as a non-surgical consult below
    ("7", "booked", "Non-Surgical", "Booked"),
    ("7", "fulfilled", "Non-Surgical", "Patient"),
    ("7", "cancelled", "Non-Surgical", "Cancelled / No-Show"),
    ("7", "noshow", "Non-Surgical", "Cancelled / No-Show"),
    ("5", "pending", "Non-Surgical", "Booked"),
    ("5", "booked", "Non-Surgical", "Booked"),
    ("5", "fulfilled", "Non-Surgical", "Patient"),
    ("5", "cancelled", "Non-Surgical", "Cancelled / No-Show"),
    ("5", "noshow", "Non-Surgical", "Cancelled / No-Show"),
]
NXT_APPOINTMENT_FIELDS = {
    "nxt_appointment_date", "nxt_appointment_time", "nxt_appointment_location",
    "nxt_appointment_practitioner",
    "nxt_appointment_status", "nxt_appointment_type", "nxt_patient_id", "appointment_category",
}


def _tick(rig, practice):
    summary = practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert summary["errors"] == 0 and summary["dead_letters"] == 0, summary
    return summary


@pytest.fixture
def consult_type_7(rig):
    CategoryMapping.objects.filter(appointment_type__nextech_id="7").update(
        category=Category.NON_SURGICAL_CONSULT.value)
    return AppointmentType.objects.get(nextech_id="7")


@pytest.mark.parametrize(("type_id", "status", "pipeline", "stage"), ROWS)
def test_spec_table_row_through_the_sandboxes(rig, in_practice, consult_type_7,
                                               type_id, status, pipeline, stage):
    past = status in {"fulfilled", "noshow"}
    rig.book(rig.patient_add(), type_id=type_id, status=status, days_ahead=-1 if past else 4)
    rig.later()
    _tick(rig, in_practice)
    (opportunity,) = rig.contact("dana.reyes@example.com")["opportunities"]
    assert (opportunity["pipeline"], opportunity["stage"]) == (pipeline, stage)


@pytest.mark.parametrize("type_id", ["3", "4", "8"])  # pre-op, post-op, and a block's type
def test_pre_op_post_op_and_block_write_fields_and_a_note_but_move_nothing(rig, in_practice,
                                                                            type_id):
    rig.book(rig.patient_add(), type_id=type_id)
    rig.later()
    _tick(rig, in_practice)
    contact = rig.contact("dana.reyes@example.com")
    assert contact["opportunities"] == []
    assert len(contact["notes"]) == 1
    assert set(contact["customFields"]) >= NXT_APPOINTMENT_FIELDS


def test_trigger_field_lists(rig, in_practice):
    in_practice.payments_enabled = True
    patient = rig.patient_add()
    visit = rig.book(patient, type_id="5", days_ahead=0)
    rig.later()
    _tick(rig, in_practice)
    booked = rig.contact("dana.reyes@example.com")["customFields"]
    assert set(booked) >= NXT_APPOINTMENT_FIELDS | {"next_visit_date", "next_visit_service",
                                                    "nxt_next_visit_time"}
    assert not {"last_visit_date", "nxt_birthday"} & set(booked)

    rig.set_status(visit, "fulfilled")
    rig.pay(patient, "380.00")
    rig.later()
    _tick(rig, in_practice)
    contact = rig.contact("dana.reyes@example.com")
    done = contact["customFields"]
    assert done["last_visit_service"] == "Injectables"
    assert done["nxt_birthday"] == "1988-04-12"
    assert contact["dateOfBirth"].startswith("1988-04-12")
    assert done["next_visit_date"] == done["nxt_next_visit_time"] == ""
    assert (done["invoice_paid_amount"], done["patient_lifetime_value"]) == ("380.00", "380.00")
    assert done["nxt_payment_status"] == "active"
    assert done["nxt_last_payment_date"]
    (opportunity,) = contact["opportunities"]
    assert opportunity["monetaryValue"] == 380.0
    bodies = [n["body"] for n in contact["notes"]]
    assert any(b.startswith("Nextech payment: active") and "$380.00" in b for b in bodies)
    assert len(bodies) == 3  # booked, fulfilled, the payment
