"""What the decision functions know: plain frozen values, no ORM, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from integrations.categories import Category, Stage


class StatusClass(StrEnum):
    """How the spec's triggers read a Nextech status.

    `proposed` (requested, not yet confirmed) and `arrived` (checked in, not yet seen) count
    as booked: the visit is still ahead or under way, so it is the Next Visit and the
    opportunity stays at its booked stage. A practice-defined status with no FHIR
    equivalent is recorded (note, NXT Appointment Status) but moves nothing.
    """

    BOOKED = "booked"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NO_SHOW = "noshow"
    OTHER = "other"


STATUS_CLASSES: Mapping[str, StatusClass] = {
    "proposed": StatusClass.BOOKED,
    "pending": StatusClass.BOOKED,
    "booked": StatusClass.BOOKED,
    "arrived": StatusClass.BOOKED,
    "fulfilled": StatusClass.FULFILLED,
    "cancelled": StatusClass.CANCELLED,
    "noshow": StatusClass.NO_SHOW,
}


def status_class(status: str | None) -> StatusClass:
    return STATUS_CLASSES.get((status or "").lower(), StatusClass.OTHER)


@dataclass(frozen=True)
class AppointmentFact:
    id: str
    patient_id: str
    status: str | None
    status_label: str
    date: date  # in the practice's time zone: the CRM's date fields hold dates only
    start_time: time  # the same moment's local time of day, for the NXT time fields
    booked_at: datetime | None  # when it was created in Nextech
    last_updated: datetime | None
    type_id: str
    type_name: str
    purpose_ids: tuple[str, ...]
    purpose_names: tuple[str, ...]
    practitioner: str
    location_id: str
    location_name: str

    @property
    def status_class(self) -> StatusClass:
        return status_class(self.status)

    @property
    def service(self) -> str:
        """What staff call the visit: its purposes, else its type."""
        return ", ".join(self.purpose_names) or self.type_name


@dataclass(frozen=True)
class PatientFact:
    id: str
    given: str
    family: str
    email: str
    phone: str  # E.164, or empty when the number does not parse
    birth_date: date | None
    patient_status: str


@dataclass(frozen=True)
class PaymentFact:
    id: str
    patient_id: str
    status: str
    total: Decimal
    payment_date: date | None
    last_updated: datetime | None = None  # when Nextech last changed it


@dataclass(frozen=True)
class Routing:
    tag: str = ""
    user_id: str = ""
    workflow_id: str = ""


@dataclass(frozen=True)
class Automation:
    trigger: str  # booked, fulfilled, cancelled, noshow, payment, birthday
    workflow_id: str
    categories: frozenset[str] = frozenset()  # empty: all

    def applies_to(self, category: Category | None) -> bool:
        return not self.categories or (category is not None and category.value in self.categories)


@dataclass(frozen=True)
class Rules:
    """A practice's settings, as the decision functions need them."""

    surgical: bool  # plastic surgery + med spa; False: med spa only (no surgical pipeline)
    payments_enabled: bool
    # (type id, purpose id) and (type id, None) -> category; purpose-specific wins.
    # Only mappings a person confirmed (in the portal, the admin or the spreadsheet).
    categories: Mapping[tuple[str, str | None], Category] = field(default_factory=dict)
    # Set-up's name-based guesses nobody confirmed yet: shown, never acted on.
    suggestions: Mapping[tuple[str, str | None], Category] = field(default_factory=dict)
    online_stage: Stage | None = None
    automations: tuple[Automation, ...] = ()
    review_workflow_id: str = ""
    review_cooldown_days: int = 90
    service_tag_template: str = ""
    routing: Mapping[str, Routing] = field(default_factory=dict)  # by Nextech location id
