"""Apply one inbox record to what is known locally; return the event it represents.

A version older than what is stored still becomes an event (its note belongs in the
audit trail) but never overwrites newer local state: that is what makes arrival order
irrelevant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model

from integrations.engine.facts import AppointmentFact, PaymentFact
from integrations.engine.facts_load import appointment_fact, payment_fact
from integrations.ghl.normalize import phone_normalize
from integrations.models import AppointmentType, KnownAppointment, KnownPatient, KnownPayment
from integrations.nextech.resources import Appointment, Patient, PaymentReconciliation


@dataclass(frozen=True)
class Event:
    appointment: AppointmentFact | None = None
    payment: PaymentFact | None = None


def _is_newer(incoming: datetime | None, stored: datetime | None) -> bool:
    return stored is None or incoming is None or incoming >= stored


def _store_if_newer(model: type[Model], *, nextech_id: str, values: dict[str, Any]) -> None:
    """Insert the record, or update it unless what is stored is newer: one read, one write
    (update_or_create would add a locking read and a savepoint per record)."""
    stored = model._default_manager.filter(nextech_id=nextech_id).values_list(
        "pk", "last_updated").first()
    if stored is None:
        model._default_manager.create(nextech_id=nextech_id, **values)
    elif _is_newer(values["last_updated"], stored[1]):
        model._default_manager.filter(pk=stored[0]).update(**values)


def appointment_apply(record: Appointment, *, time_zone: str) -> Event:
    type_ref, patient = record.appointment_type, record.patient
    values = {
        "patient_id": patient.id if patient and patient.id else "",
        "status": record.status or "",
        "status_label": record.status_label or "",
        "start": record.start,
        "created": record.created,
        "last_updated": record.last_updated,
        "type_id": (type_ref.id or "") if type_ref else "",
        "type_name": (type_ref.display or "") if type_ref else "",
        "purpose_ids": [p.id for p in record.purposes if p.id],
        "purpose_names": [p.display for p in record.purposes if p.display],
        "practitioner_name": (record.practitioner.display or "") if record.practitioner else "",
        "location_id": (record.location.id or "") if record.location else "",
        "location_name": (record.location.display or "") if record.location else "",
    }
    if type_ref and type_ref.id:
        # A type never seen before lands in the category review queue, unmapped.
        known_type, _ = AppointmentType.objects.get_or_create(
            nextech_id=type_ref.id, defaults={"name": type_ref.display or f"Type {type_ref.id}"}
        )
        values["type_name"] = values["type_name"] or known_type.name
    as_event = KnownAppointment(nextech_id=record.id, **values)
    _store_if_newer(KnownAppointment, nextech_id=record.id, values=values)
    return Event(appointment=appointment_fact(as_event, time_zone=time_zone))


def patient_apply(record: Patient, *, region: str, fetched_at: datetime) -> list[str]:
    """Store the patient's CRM-relevant fields; returns problems worth telling staff."""
    problems = []
    try:
        phone = phone_normalize(record.phone, region=region) or ""
    except ValueError:
        phone, problems = "", ["phone number is not valid; not sent to the CRM"]
    values = {
        "given": record.given or "",
        "family": record.family or "",
        "email": (record.email or "").strip().lower(),
        "phone": phone,
        "birth_date": record.birth_date,
        "patient_status": record.patient_status or "",
        "last_updated": record.last_updated,
        "fetched_at": fetched_at,
    }
    _store_if_newer(KnownPatient, nextech_id=record.id, values=values)
    return problems


def payment_apply(record: PaymentReconciliation) -> Event:
    values = {
        "patient_id": record.patient.id if record.patient and record.patient.id else "",
        "status": record.status,
        "total": record.total,
        "payment_date": record.payment_date,
        "last_updated": record.last_updated,
    }
    as_event = KnownPayment(nextech_id=record.id, **values)
    _store_if_newer(KnownPayment, nextech_id=record.id, values=values)
    return Event(payment=payment_fact(as_event))
