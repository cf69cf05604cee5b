"""Apply inbox records to what is known locally; return the events they represent.

A version older than what is stored still becomes an event (its note belongs in the
audit trail) but never overwrites newer local state: that is what makes arrival order
irrelevant.

A patient's new records are applied together (`patient_records_apply`): one read per
table for what is stored, the versions merged in memory in arrival order, then one insert
for the new records and one update per changed one. Applying them one by one would read
and write each record separately, which is most of what deciding a backfill costs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Q

from integrations.engine.facts import AppointmentFact, PaymentFact
from integrations.engine.facts_load import appointment_fact, payment_fact
from integrations.ghl.normalize import phone_normalize
from integrations.models import AppointmentType, KnownAppointment, KnownPatient, KnownPayment
from integrations.nextech.resources import Appointment, Patient, PaymentReconciliation

M = TypeVar("M", KnownPatient, KnownAppointment, KnownPayment)


@dataclass(frozen=True)
class Event:
    appointment: AppointmentFact | None = None
    payment: PaymentFact | None = None


@dataclass
class PatientKnown:
    """One patient after their new records are applied: the base of the decision."""

    patient: KnownPatient | None
    appointments: list[KnownAppointment]
    payments: list[KnownPayment]
    events: list[Event] = field(default_factory=list)  # one per appointment or payment record
    problems: list[str] = field(default_factory=list)  # worth telling staff


class PatientUnknown(LookupError):
    """The patient is not stored and their new records bring no Patient record: they
    are read from Nextech first (`patient_records_apply`'s `fetched`)."""


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


def _versions_store(model: type[M], stored: dict[str, M],
                    versions: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Merge `versions` (nextech id, values; in arrival order) into `stored` (the rows read,
    by nextech id) as `_store_if_newer` would one by one, then write what changed: one
    insert for all new records, one update per changed stored one."""
    new: dict[str, M] = {}
    changed: dict[str, dict[str, Any]] = {}
    for nextech_id, values in versions:
        row = stored.get(nextech_id)
        if row is None:
            row = stored[nextech_id] = new[nextech_id] = model(nextech_id=nextech_id, **values)
        elif not _is_newer(values["last_updated"], row.last_updated):
            continue
        else:
            for name, value in values.items():
                setattr(row, name, value)
        if nextech_id not in new:
            changed[nextech_id] = values
    if new:
        model._default_manager.bulk_create(new.values())
    for nextech_id, values in changed.items():
        model._default_manager.filter(pk=stored[nextech_id].pk).update(**values)


def appointment_types_ensure(records: Iterable[Appointment]) -> dict[str, str]:
    """Appointment type names by Nextech id, for every type the records name; a type never
    seen before lands in the category review queue, unmapped. One read, at most one insert."""
    seen: dict[str, str] = {}
    for record in records:
        type_ref = record.appointment_type
        if type_ref and type_ref.id and type_ref.id not in seen:
            seen[type_ref.id] = type_ref.display or f"Type {type_ref.id}"
    if not seen:
        return {}
    names = dict(AppointmentType.objects.filter(nextech_id__in=seen).values_list(
        "nextech_id", "name"))
    missing = [AppointmentType(nextech_id=type_id, name=name)
               for type_id, name in seen.items() if type_id not in names]
    # ignore_conflicts: the catalogue pull may add the same type meanwhile; theirs stays.
    AppointmentType.objects.bulk_create(missing, ignore_conflicts=True)
    return {**seen, **names}


def _appointment_values(record: Appointment, type_names: Mapping[str, str]) -> dict[str, Any]:
    type_ref, patient = record.appointment_type, record.patient
    type_name = (type_ref.display or "") if type_ref else ""
    if type_ref and type_ref.id:
        type_name = type_name or type_names.get(type_ref.id, "")
    return {
        "patient_id": patient.id if patient and patient.id else "",
        "status": record.status or "",
        "status_label": record.status_label or "",
        "start": record.start,
        "created": record.created,
        "last_updated": record.last_updated,
        "type_id": (type_ref.id or "") if type_ref else "",
        "type_name": type_name,
        "purpose_ids": [p.id for p in record.purposes if p.id],
        "purpose_names": [p.display for p in record.purposes if p.display],
        "practitioner_name": (record.practitioner.display or "") if record.practitioner else "",
        "location_id": (record.location.id or "") if record.location else "",
        "location_name": (record.location.display or "") if record.location else "",
    }


def _patient_values(record: Patient, *, region: str,
                    fetched_at: datetime) -> tuple[dict[str, Any], list[str]]:
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
    return values, problems


def _payment_values(record: PaymentReconciliation) -> dict[str, Any]:
    return {
        "patient_id": record.patient.id if record.patient and record.patient.id else "",
        "status": record.status,
        "total": record.total,
        "payment_date": record.payment_date,
        "last_updated": record.last_updated,
    }


def patient_apply(record: Patient, *, region: str, fetched_at: datetime) -> list[str]:
    """Store the patient's CRM-relevant fields; returns problems worth telling staff."""
    values, problems = _patient_values(record, region=region, fetched_at=fetched_at)
    _store_if_newer(KnownPatient, nextech_id=record.id, values=values)
    return problems


def _stored(model: type[M], *, patient_id: str, ids: set[str]) -> dict[str, M]:
    """The patient's stored rows, and any other row the new records name."""
    rows = model._default_manager.filter(Q(patient_id=patient_id) | Q(nextech_id__in=ids))
    return {row.nextech_id: row for row in rows}


def patient_records_apply(*, patient_id: str, records: Iterable[Any],
                          type_names: Mapping[str, str], time_zone: str, region: str,
                          fetched_at: datetime, payments: bool,
                          fetched: Patient | None = None) -> PatientKnown:
    """Apply one patient's new records (in arrival order); what is then known about them.

    `payments`: whether the decision needs the patient's payments even when none of the
    records is one (the practice syncs payments). `fetched`: the patient as read from
    Nextech after a `PatientUnknown`, stored with the records.
    """
    patients: list[tuple[str, dict[str, Any]]] = []
    appointments: list[tuple[str, dict[str, Any]]] = []
    paid: list[tuple[str, dict[str, Any]]] = []
    events: list[Event] = []
    problems: list[str] = []
    if fetched is not None:
        values, _ = _patient_values(fetched, region=region, fetched_at=fetched_at)
        patients.append((fetched.id, values))
    for record in records:
        if isinstance(record, Patient):
            values, found = _patient_values(record, region=region, fetched_at=fetched_at)
            patients.append((record.id, values))
            problems.extend(found)
        elif isinstance(record, Appointment):
            values = _appointment_values(record, type_names)
            appointments.append((record.id, values))
            row = KnownAppointment(nextech_id=record.id, **values)
            events.append(Event(appointment=appointment_fact(row, time_zone=time_zone)))
        else:
            values = _payment_values(record)
            paid.append((record.id, values))
            events.append(Event(payment=payment_fact(KnownPayment(nextech_id=record.id,
                                                                  **values))))
    # Whether the patient is known comes with their row: one read for both.
    known_patient = {row.nextech_id: row for row in KnownPatient.objects.filter(
        nextech_id=patient_id)}
    if not known_patient and not patients:
        raise PatientUnknown(patient_id)
    _versions_store(KnownPatient, known_patient, patients)
    known_appointments = _stored(KnownAppointment, patient_id=patient_id,
                                 ids={nextech_id for nextech_id, _ in appointments})
    _versions_store(KnownAppointment, known_appointments, appointments)
    known_payments: dict[str, KnownPayment] = {}
    if payments or paid:
        known_payments = _stored(KnownPayment, patient_id=patient_id,
                                 ids={nextech_id for nextech_id, _ in paid})
        _versions_store(KnownPayment, known_payments, paid)
    return PatientKnown(
        patient=known_patient.get(patient_id),
        appointments=[a for a in known_appointments.values() if a.patient_id == patient_id],
        payments=[p for p in known_payments.values() if p.patient_id == patient_id],
        events=events,
        problems=problems,
    )
