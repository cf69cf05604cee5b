"""Records survive the inbox's JSON round trip exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from integrations.engine.records import record_decode, record_encode
from integrations.nextech.resources import (
    Address,
    Appointment,
    Patient,
    PaymentReconciliation,
    Phone,
    Ref,
)


def test_appointment_round_trips_through_json():
    original = Appointment(
        id="31115",
        status="booked",
        practice_status=Ref("appointment-status", "4", "Confirmed"),
        start=datetime(2026, 3, 12, 14, 0, tzinfo=UTC),
        end=None,
        patient=Ref("patient", "p-1", "Amber Stout"),
        location=Ref("location", "4", "South"),
        practitioner=Ref("practitioner", "1", "Igor"),
        appointment_type=Ref("appointment-type", "10"),
        purposes=(Ref("appointment-purpose", "31", "Cataract"), Ref("appointment-purpose", "32")),
        description=None,
        created=None,
        last_updated=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert record_decode(Appointment, record_encode(original)) == original


def test_payment_round_trips_with_its_money_exact():
    original = PaymentReconciliation(
        id="9",
        status="active",
        total=Decimal("-50.10"),
        patient=Ref("patient", "p-1"),
        location=None,
        payment_date=date(2026, 2, 3),
        created=None,
        last_updated=None,
        method="Cash",
        category=None,
        provider=None,
    )
    decoded = record_decode(PaymentReconciliation, record_encode(original))
    assert decoded == original
    assert decoded.total == Decimal("-50.10")


def test_patient_round_trips_with_nested_records_and_dates():
    original = Patient(
        id="p-1", chart_number="1001", given="Amber", middle=None, family="Stout",
        birth_date=date(1988, 4, 12), email="amber@example.com",
        phones=(Phone("mobile", "(404) 555-0101"), Phone(None, "404-555-0102")),
        address=Address("1 Main St", "Atlanta", "GA", None), gender=None,
        patient_status="Prospect", patient_type=None, referral_source=Ref("referral-source", "7"),
        location=None, general_practitioner=None, last_updated=datetime(2026, 3, 1, tzinfo=UTC),
    )
    decoded = record_decode(Patient, record_encode(original))
    assert decoded == original
    assert isinstance(decoded.phones, tuple) and isinstance(decoded.address, Address)
