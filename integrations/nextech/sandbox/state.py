"""The simulated Nextech's memory: practices (keyed by nx-practice-id), their records, tokens."""

from __future__ import annotations

import itertools
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from integrations.clock import Clock
from integrations.nextech.resources import Flavor
from integrations.sandbox_kit.faults import FaultPlan


class SandboxClock:
    """The sandbox's time: a base clock plus an offset the control API can move forward."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def monotonic(self) -> float:
        return self.base.monotonic() + self.offset.total_seconds()

    def sleep(self, seconds: float) -> None:
        self.base.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Row:
    """What every stored record has: ids, stamps, and parts a fault can tear off."""

    id: str
    seq: int  # creation order: Nextech pages by entered date
    created: datetime
    last_updated: datetime
    broken: tuple[str, ...] = ()  # top-level keys dropped when rendered ("missing parts")


@dataclass
class PatientRow(Row):
    chart_number: str = ""
    given: str = ""
    family: str = ""
    birth_date: date | None = None
    email: str = ""
    phones: dict[str, str] = field(default_factory=dict)  # use -> number
    postal_code: str = ""
    gender: str = "unknown"
    patient_status: str = ""
    referral_source: tuple[str, str] | None = None  # (id, name)
    location_id: str | None = None
    general_practitioner_id: str | None = None


@dataclass
class AppointmentRow(Row):
    patient_id: str | None = None  # None: a block
    location_id: str = ""
    practitioner_id: str | None = None
    type_id: str = ""
    purpose_ids: list[str] = field(default_factory=list)
    status_id: str = ""  # into the practice's status catalog
    start: datetime | None = None
    end: datetime | None = None
    comment: str = ""
    arrived_at: datetime | None = None
    has_left_arrived: bool = False


@dataclass
class PaymentRow(Row):
    patient_id: str = ""
    location_id: str = ""
    practitioner_id: str = ""
    total: Decimal = Decimal(0)
    status: str = "active"
    method: str = "Cash"
    category: str = ""
    payment_date: date | None = None
    correction: str | None = None  # voided, voiding, recreation
    links: dict[str, str] = field(default_factory=dict)  # voided-by, voids, recreated-by...


@dataclass
class CatalogRow:
    id: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)  # duration, type_id, fhir, phone...


@dataclass
class PracticeConfig:
    practice_id: str
    flavor: Flavor
    client_id: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    partner_id: str = ""
    partner_secret: str = field(default="", repr=False)
    resource: str = ""
    server_version: str = "17.0"
    reject_tokens: bool = False  # simulates the API user losing access: every token -> 401
    repeat_next_link: bool = False  # the docs' paging quirk: `next` always at offset 0


# Select's built-in statuses (FHIR value or None) plus two practice-defined ones.
DEFAULT_STATUSES = (
    ("0", "Pending", "pending"), ("1", "Confirmed", "booked"), ("2", "In", "arrived"),
    ("3", "Out", "fulfilled"), ("4", "Cancelled", "cancelled"), ("5", "No Show", "noshow"),
    ("6", "Online Book", None), ("7", "Online Hold", "proposed"), ("8", "In Room", None),
)


class PracticeState:
    def __init__(self, config: PracticeConfig, clock: SandboxClock) -> None:
        self.config = config
        self.clock = clock
        self.patients: dict[str, PatientRow] = {}
        self.appointments: dict[str, AppointmentRow] = {}
        self.payments: dict[str, PaymentRow] = {}
        self.locations: dict[str, CatalogRow] = {}
        self.practitioners: dict[str, CatalogRow] = {}
        self.appointment_types: dict[str, CatalogRow] = {}
        self.purposes: dict[str, CatalogRow] = {}
        self.statuses = {sid: CatalogRow(sid, name, {"fhir": fhir})
                         for sid, name, fhir in DEFAULT_STATUSES}
        self._seq = itertools.count(1)
        self._ids = itertools.count(10001)

    @property
    def flavor(self) -> Flavor:
        return self.config.flavor

    def stamp(self) -> dict[str, Any]:
        now = self.clock.now()
        return {"seq": next(self._seq), "created": now, "last_updated": now}

    def next_id(self) -> str:
        return str(next(self._ids))

    def touch(self, row: Row) -> None:
        row.last_updated = self.clock.now()

    def status_for(self, fhir_or_id: str) -> CatalogRow:
        """A status by catalog id, or the first whose FHIR value matches ("noshow")."""
        if fhir_or_id in self.statuses:
            return self.statuses[fhir_or_id]
        for row in self.statuses.values():
            if row.extra.get("fhir") == fhir_or_id or row.name.lower() == fhir_or_id.lower():
                return row
        raise KeyError(f"unknown appointment status {fhir_or_id!r}")

    def new_guid(self) -> str:
        # Derived, not random, so a seeded demo week has the same patient ids every time.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.config.practice_id}/{next(self._seq)}"))


@dataclass
class Grant:
    token: str
    practice_ids: tuple[str, ...]
    principal: str  # the API user (username or partner id): limits are counted per user
    expires_at: datetime


@dataclass
class LogEntry:
    at: float  # sandbox monotonic seconds
    method: str
    path: str
    query: str
    endpoint: str  # "GET /Appointment": what the 20 requests/s limit counts per
    status: int
    practice_id: str | None


class SandboxState:
    def __init__(self, clock: Clock) -> None:
        self.clock = SandboxClock(clock)
        self.practices: dict[str, PracticeState] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.faults = FaultPlan()
        self.log: list[LogEntry] = []
        self.lock = threading.RLock()
        self.access_seconds = 3600
        self.refresh_days = 14

    def practice(self, practice_id: str) -> PracticeState:
        found = self.practices.get(practice_id.lower())
        if found is None:
            raise KeyError(f"no practice {practice_id!r} in the sandbox")
        return found

    def practice_register(self, config: PracticeConfig) -> PracticeState:
        practice = PracticeState(config, self.clock)
        self.practices[config.practice_id.lower()] = practice
        return practice
