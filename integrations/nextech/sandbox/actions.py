"""What can happen in the simulated practice: the control API, the FHIR writes and the seed
all change state through these, so Nextech's rules are kept in one place."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from integrations.nextech.sandbox.state import (
    AppointmentRow,
    CatalogRow,
    PatientRow,
    PaymentRow,
    PracticeState,
)


class SandboxRuleError(Exception):
    """A Nextech rule said no; `status` is what the API answers (400, 404, 409, 422)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def catalog_add(practice: PracticeState, *, kind: str, name: str, **extra: Any) -> CatalogRow:
    """Add a location, practitioner, appointment type, purpose or practice-defined status."""
    table: dict[str, CatalogRow] = getattr(practice, kind)
    row_id = str(extra.pop("id", None) or max((int(k) for k in table), default=0) + 1)
    row = CatalogRow(id=row_id, name=name, extra=extra)
    table[row_id] = row
    return row


def digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def patient_duplicate_find(practice: PracticeState, *, given: str, family: str, email: str,
                           birth_date: date | None, postal_code: str,
                           phones: dict[str, str]) -> PatientRow | None:
    """Nextech's rule: same first and last name, email, birth date, zip and one phone."""
    wanted = {digits(p) for p in phones.values() if digits(p)}
    for row in practice.patients.values():
        if (row.given.lower(), row.family.lower(), row.email.lower()) != (
                given.lower(), family.lower(), email.lower()):
            continue
        if row.birth_date == birth_date and row.postal_code == postal_code and (
                wanted & {digits(p) for p in row.phones.values()}):
            return row
    return None


def patient_add(practice: PracticeState, *, given: str, family: str, email: str = "",
                phones: dict[str, str] | None = None, birth_date: date | None = None,
                postal_code: str = "", gender: str = "unknown", patient_status: str = "",
                referral_source: tuple[str, str] | None = None, location_id: str | None = None,
                general_practitioner_id: str | None = None,
                check_duplicate: bool = True, patient_id: str | None = None) -> PatientRow:
    phones = phones or {}
    if check_duplicate and patient_duplicate_find(
            practice, given=given, family=family, email=email, birth_date=birth_date,
            postal_code=postal_code, phones=phones):
        raise SandboxRuleError(409, "A patient with the same name, email, birth date, zip code "
                                    "and phone number already exists.")
    status = patient_status or ("Active" if practice.flavor == "practiceplus" else "Patient")
    row = PatientRow(
        id=(patient_id or practice.new_guid()).lower(), **practice.stamp(),
        chart_number=practice.next_id(),
        given=given, family=family, birth_date=birth_date, email=email, phones=phones,
        postal_code=postal_code, gender=gender, patient_status=status,
        referral_source=referral_source, location_id=location_id,
        general_practitioner_id=general_practitioner_id,
    )
    practice.patients[row.id] = row
    return row


def _require(table: dict[str, Any], key: str | None, what: str) -> None:
    if key is not None and key not in table:
        raise SandboxRuleError(400, f"unknown {what} {key!r}")


def appointment_book(practice: PracticeState, *, patient_id: str | None, location_id: str,
                     practitioner_id: str | None, type_id: str, purpose_ids: list[str],
                     start: datetime, end: datetime | None = None, minutes: int = 30,
                     status: str = "pending", comment: str = "",
                     appointment_id: str | None = None) -> AppointmentRow:
    """Book an appointment (patient_id None books a block)."""
    patient_id = patient_id.lower() if patient_id else None
    if start.tzinfo is None:
        raise SandboxRuleError(400, "start must carry a UTC offset")
    _require(practice.patients, patient_id, "patient")
    _require(practice.locations, location_id, "location")
    _require(practice.practitioners, practitioner_id, "practitioner")
    _require(practice.appointment_types, type_id, "appointment type")
    for purpose_id in purpose_ids:
        _require(practice.purposes, purpose_id, "appointment purpose")
    row = AppointmentRow(
        id=appointment_id or practice.next_id(), **practice.stamp(), patient_id=patient_id,
        location_id=location_id, practitioner_id=practitioner_id, type_id=type_id,
        purpose_ids=list(purpose_ids), status_id=_status_id(practice, status), start=start,
        end=end or start + timedelta(minutes=minutes), comment=comment,
    )
    practice.appointments[row.id] = row
    return row


def _status_id(practice: PracticeState, status: str) -> str:
    try:
        return practice.status_for(status).id
    except KeyError:
        raise SandboxRuleError(400, f"unknown appointment status {status!r}") from None


def appointment_change(practice: PracticeState, *, appointment_id: str, status: str | None = None,
                       start: datetime | None = None, end: datetime | None = None,
                       comment: str | None = None, location_id: str | None = None,
                       practitioner_id: str | None = None) -> AppointmentRow:
    """Reschedule, move, or set any status (FHIR value, catalog id or practice status name)."""
    row = practice.appointments.get(appointment_id)
    if row is None:
        raise SandboxRuleError(404, f"Appointment {appointment_id} was not found")
    if status is not None:
        _status_change(practice, row, _status_id(practice, status))
    if start is not None:
        length = (row.end - row.start) if row.end and row.start else timedelta(minutes=30)
        row.start, row.end = start, end or start + length
    _require(practice.locations, location_id, "location")
    _require(practice.practitioners, practitioner_id, "practitioner")
    row.location_id = location_id or row.location_id
    row.practitioner_id = practitioner_id or row.practitioner_id
    row.comment = comment if comment is not None else row.comment
    practice.touch(row)
    return row


def _status_change(practice: PracticeState, row: AppointmentRow, status_id: str) -> None:
    current = practice.statuses[row.status_id].extra.get("fhir")
    new = practice.statuses[status_id].extra.get("fhir")
    if new == "cancelled" and current == "cancelled":
        raise SandboxRuleError(422, "The appointment is already cancelled.")
    if new == "arrived" and row.has_left_arrived:
        raise SandboxRuleError(422, "An appointment that has left arrived cannot arrive again.")
    if current == "arrived" and new != "arrived":
        row.has_left_arrived = True
    if new == "arrived":
        row.arrived_at = practice.clock.now()
    row.status_id = status_id


def payment_add(practice: PracticeState, *, patient_id: str, total: Decimal, location_id: str,
                practitioner_id: str, method: str = "Charge", category: str = "",
                payment_date: date | None = None) -> PaymentRow:
    _require(practice.patients, patient_id, "patient")
    _require(practice.locations, location_id, "location")
    row = PaymentRow(id=practice.next_id(), **practice.stamp(), patient_id=patient_id,
                     location_id=location_id, practitioner_id=practitioner_id,
                     total=Decimal(total), method=method, category=category,
                     payment_date=payment_date or practice.clock.now().date())
    practice.payments[row.id] = row
    return row


def payment_void(practice: PracticeState, *, payment_id: str,
                 corrected_total: Decimal | None = None) -> list[PaymentRow]:
    """Void (and optionally correct): the original turns cancelled, an equal and opposite
    cancelled row appears, and a correction adds an active recreation. Returns new rows."""
    original = practice.payments.get(payment_id)
    if original is None:
        raise SandboxRuleError(404, f"PaymentReconciliation {payment_id} was not found")
    if original.status != "active":
        raise SandboxRuleError(422, "Only an active payment can be voided.")
    original.status, original.correction = "cancelled", "voided"
    voiding = _payment_copy(practice, original, total=-original.total, status="cancelled",
                            correction="voiding")
    voiding.links["voids"] = original.id
    original.links["voided-by"] = voiding.id
    made = [voiding]
    if corrected_total is not None:
        again = _payment_copy(practice, original, total=Decimal(corrected_total),
                              status="active", correction="recreation")
        again.links.update({"recreates": original.id, "recreates-voiding": voiding.id})
        original.links["recreated-by"] = voiding.links["recreated-by"] = again.id
        made.append(again)
    practice.touch(original)
    return made


def _payment_copy(practice: PracticeState, source: PaymentRow, *, total: Decimal, status: str,
                  correction: str) -> PaymentRow:
    row = PaymentRow(id=practice.next_id(), **practice.stamp(), patient_id=source.patient_id,
                     location_id=source.location_id, practitioner_id=source.practitioner_id,
                     total=total, status=status, method=source.method, category=source.category,
                     payment_date=practice.clock.now().date(), correction=correction)
    practice.payments[row.id] = row
    return row
