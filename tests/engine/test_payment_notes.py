"""Payment notes: the spec's trigger is an active payment. A payment voided before it was
ever noted, and the cancelled row that voids another, are noted never; a void of a payment
already noted gets one note saying so, with the payment's own amount."""

from __future__ import annotations

from decimal import Decimal

from integrations.engine.tick import practice_tick
from integrations.nextech.sandbox import actions

EMAIL = "dana.reyes@example.com"


def _tick(rig, practice):
    summary = practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert summary["errors"] == 0, summary
    return summary


def _payment_notes(rig) -> list[str]:
    return sorted(n["body"].split("\n(")[0] for n in rig.contact(EMAIL)["notes"]
                  if n["body"].startswith("Nextech payment"))


def _paying_patient(rig, practice) -> str:
    practice.payments_enabled = True
    patient = rig.patient_add()
    rig.book(patient, type_id="5", days_ahead=0)
    rig.later()
    _tick(rig, practice)
    return patient


def test_a_noted_payment_voided_gets_one_voided_note_and_no_negative_one(rig, in_practice):
    paid = rig.pay(_paying_patient(rig, in_practice), "200.00")
    rig.later()
    _tick(rig, in_practice)
    actions.payment_void(rig.emr, payment_id=paid)
    rig.later()
    _tick(rig, in_practice)
    rig.emr.touch(rig.emr.payments[paid])  # re-saved in Nextech: still voided
    rig.later()
    _tick(rig, in_practice)

    day = rig.clock.now().date()
    date = f"Date: {day.month}/{day.day}/{day.year}"
    assert _payment_notes(rig) == [
        f"Nextech payment voided (cancelled)\nAmount: $200.00, no longer counted\n{date}",
        f"Nextech payment: active\nAmount: $200.00\n{date}",
    ]
    assert not any("$-" in n["body"] for n in rig.contact(EMAIL)["notes"])
    fields = rig.contact(EMAIL)["customFields"]
    assert fields["patient_lifetime_value"] == "0.00"  # nothing paid is left
    assert fields.get("invoice_paid_amount", "") == fields.get("nxt_payment_status", "") == ""


def test_a_payment_voided_before_it_was_noted_gets_no_note(rig, in_practice):
    patient = _paying_patient(rig, in_practice)
    paid = rig.pay(patient, "200.00")
    rig.pay(patient, "75.00")
    actions.payment_void(rig.emr, payment_id=paid)  # within the same poll interval
    rig.later()
    _tick(rig, in_practice)

    assert [note.split("\n")[:2] for note in _payment_notes(rig)] == [
        ["Nextech payment: active", "Amount: $75.00"]]
    assert rig.contact(EMAIL)["customFields"]["patient_lifetime_value"] == "75.00"


def test_a_corrected_payment_is_noted_as_voided_then_paid_again(rig, in_practice):
    paid = rig.pay(_paying_patient(rig, in_practice), "200.00")
    rig.later()
    _tick(rig, in_practice)
    actions.payment_void(rig.emr, payment_id=paid, corrected_total=Decimal("180.00"))
    rig.later()
    _tick(rig, in_practice)

    assert [note.split("\n")[:2] for note in _payment_notes(rig)] == [
        ["Nextech payment voided (cancelled)", "Amount: $200.00, no longer counted"],
        ["Nextech payment: active", "Amount: $180.00"],
        ["Nextech payment: active", "Amount: $200.00"],
    ]
    assert rig.contact(EMAIL)["customFields"]["patient_lifetime_value"] == "180.00"
