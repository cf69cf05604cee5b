"""Typed Nextech records: what the rest of AX Connect sees instead of raw FHIR JSON.

Only the fields the CRM needs are kept (DESIGN: PHI is minimal); SSN, race, ethnicity,
emergency contacts and notes are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Flavor = Literal["select", "practiceplus"]
FLAVORS: tuple[Flavor, ...] = ("select", "practiceplus")

# FHIR Appointment.status values Nextech emits; any other practice status has no FHIR value.
FHIR_APPOINTMENT_STATUSES = (
    "proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow",
)
PAYMENT_STATUSES = ("active", "cancelled", "entered-in-error")


class NextechParseError(ValueError):
    """One resource could not be read; the engine dead-letters it and goes on."""

    def __init__(self, resource_type: str, resource_id: str | None, problem: str) -> None:
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.problem = problem
        super().__init__(f"{resource_type} {resource_id or '(no id)'}: {problem}")


@dataclass(frozen=True)
class Ref:
    """A reference: `kind` lower-cased ("patient", "appointment-type"), `id` may be absent."""

    kind: str
    id: str | None
    display: str | None = None


@dataclass(frozen=True)
class Address:
    line: str | None
    city: str | None
    state: str | None
    postal_code: str | None


@dataclass(frozen=True)
class Appointment:
    id: str
    status: str | None  # FHIR status; None when Nextech has no FHIR equivalent
    practice_status: Ref | None  # Select's appointment-status extension (15.9+)
    start: datetime
    end: datetime | None
    patient: Ref | None  # None for blocks and meetings
    location: Ref | None
    practitioner: Ref | None
    appointment_type: Ref | None
    purposes: tuple[Ref, ...]
    description: str | None
    created: datetime | None
    last_updated: datetime | None  # absent before Nextech 14.3
    arrival_time: datetime | None = None

    @property
    def is_block(self) -> bool:
        """A block or meeting: it occupies the schedule but belongs to no patient."""
        return self.patient is None or self.patient.id is None

    @property
    def status_label(self) -> str | None:
        """What staff see: the practice's own status name, else the FHIR status."""
        if self.practice_status and self.practice_status.display:
            return self.practice_status.display
        return self.status


@dataclass(frozen=True)
class Phone:
    use: str | None  # home, work, mobile, old
    value: str


@dataclass(frozen=True)
class Patient:
    id: str
    chart_number: str | None
    given: str | None
    middle: str | None
    family: str | None
    birth_date: date | None
    email: str | None
    phones: tuple[Phone, ...]
    address: Address | None
    gender: str | None
    patient_status: str | None  # as read: Select "Patient"/"Prospect", Practice+ "Active"...
    patient_type: Ref | None
    referral_source: Ref | None
    location: Ref | None  # the patient-location extension
    general_practitioner: Ref | None
    last_updated: datetime | None

    @property
    def phone(self) -> str | None:
        """The number to reach the patient on: mobile first, then home, then work."""
        by_use = {p.use: p.value for p in reversed(self.phones)}
        for use in ("mobile", "home", "work", None):
            if use in by_use:
                return by_use[use]
        return self.phones[0].value if self.phones else None


@dataclass(frozen=True)
class Location:
    id: str
    name: str | None
    status: str | None
    managed: bool | None
    phone: str | None
    address: Address | None


@dataclass(frozen=True)
class Practitioner:
    id: str
    given: str | None
    family: str | None
    display: str | None
    active: bool | None
    npi: str | None


@dataclass(frozen=True)
class PaymentReconciliation:
    id: str
    status: str  # active, cancelled (voided) or entered-in-error (deleted)
    total: Decimal  # negative for refunds and voiding rows
    patient: Ref | None
    location: Ref | None
    payment_date: date | None
    created: datetime | None
    last_updated: datetime | None
    method: str | None
    category: str | None
    provider: Ref | None
    correction: str | None = None  # Practice+: voided, voiding or recreation
    voided_by: str | None = None
    voids: str | None = None
    recreated_by: str | None = None
    recreates: str | None = None

    @property
    def counts_toward_value(self) -> bool:
        """Lifetime value sums active payments only; voids and deletions drop out."""
        return self.status == "active"


@dataclass(frozen=True)
class AppointmentType:
    id: str
    name: str
    default_duration_minutes: int | None


@dataclass(frozen=True)
class AppointmentPurpose:
    id: str
    name: str
    appointment_type: Ref | None


@dataclass(frozen=True)
class AppointmentStatus:
    """A practice-defined status (Select only): "Online Book", "In Room"..."""

    id: str
    name: str


@dataclass(frozen=True)
class PatientType:
    id: str
    name: str
