"""Small builders for engine facts, with sensible defaults a test overrides by name."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from integrations.categories import Category
from integrations.engine.facts import AppointmentFact, PatientFact, PaymentFact, Rules

TODAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# A practice's catalog: type ids -> category (purpose-specific rows in tests that need them).
CATALOG = {
    ("t-consult", None): Category.SURGICAL_CONSULT,
    ("t-surgery", None): Category.SURGICAL_APPOINTMENT,
    ("t-nsconsult", None): Category.NON_SURGICAL_CONSULT,
    ("t-botox", None): Category.NON_SURGICAL_APPOINTMENT,
    ("t-block", None): Category.BLOCK,
    ("t-preop", None): Category.PRE_OP,
    ("t-postop", None): Category.POST_OP,
    ("t-online", None): Category.ONLINE,
}
TYPE_NAMES = {
    "t-consult": "Surgical Consult",
    "t-surgery": "Surgery",
    "t-nsconsult": "Aesthetic Consult",
    "t-botox": "Injectables",
    "t-block": "Block",
    "t-preop": "Pre-Op",
    "t-postop": "Post-Op",
    "t-online": "Virtual Consult",
    "t-unknown": "New Type",
}


def rules(**overrides: Any) -> Rules:
    values: dict[str, Any] = {"surgical": True, "payments_enabled": True, "categories": CATALOG}
    values.update(overrides)
    return Rules(**values)


def patient(**overrides: Any) -> PatientFact:
    values: dict[str, Any] = {
        "id": "pat-1",
        "given": "Dana",
        "family": "Reyes",
        "email": "Dana.Reyes@example.com",
        "phone": "+14155550100",
        "birth_date": date(1988, 4, 12),
        "patient_status": "Prospect",
    }
    values.update(overrides)
    return PatientFact(**values)


def appointment(
    id: str = "a-1",
    *,
    type_id: str = "t-consult",
    status: str = "booked",
    day: date = TODAY + timedelta(days=7),
    booked_hours: float = 0,
    **overrides: Any,
) -> AppointmentFact:
    values: dict[str, Any] = {
        "id": id,
        "patient_id": "pat-1",
        "status": status,
        "status_label": status.title(),
        "date": day,
        "start_time": time(10, 0),
        "booked_at": T0 + timedelta(hours=booked_hours),
        "last_updated": T0 + timedelta(hours=booked_hours),
        "type_id": type_id,
        "type_name": TYPE_NAMES.get(type_id, type_id),
        "purpose_ids": (),
        "purpose_names": (),
        "practitioner": "Dr. Ana Cho",
        "location_id": "loc-1",
        "location_name": "Downtown",
    }
    values.update(overrides)
    return AppointmentFact(**values)


def payment(
    id: str = "pay-1", *, total: str = "100.00", status: str = "active", day: date = TODAY
) -> PaymentFact:
    return PaymentFact(
        id=id, patient_id="pat-1", status=status, total=Decimal(total), payment_date=day
    )
