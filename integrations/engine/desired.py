"""The CRM state a contact should have, derived from everything known about the patient.

Pure: the same facts give the same state whatever order they arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from integrations.categories import Pipeline, Stage
from integrations.engine.facts import (
    AppointmentFact,
    PatientFact,
    PaymentFact,
    Rules,
    StatusClass,
)
from integrations.engine.stages import category_of, stages_by_pipeline


@dataclass(frozen=True)
class OpportunityTarget:
    stage: Stage
    status: str  # open or won
    value: Decimal | None  # None: leave the opportunity's value alone
    name: str


@dataclass(frozen=True)
class DesiredContact:
    patient_id: str
    core: Mapping[str, str]  # firstName, lastName, email, phone, dateOfBirth
    fields: Mapping[str, str]  # engine field key -> value; "" clears the field
    tags: frozenset[str]
    opportunities: Mapping[Pipeline, OpportunityTarget] = field(default_factory=dict)
    assigned_user_id: str = ""
    # Workflows the contact should have been enrolled in (location assignment).
    workflows: frozenset[str] = frozenset()


def crm_date(value: date | None) -> str:
    """GoHighLevel date fields take ISO dates; the CRM shows them as M/D/YYYY."""
    return value.isoformat() if value else ""


def crm_time(value: time | None) -> str:
    """A time of day as the front desk says it: "2:30 PM", "10:00 AM" (the CRM's DATE
    fields have no time, so the time is a text field beside the date)."""
    if value is None:
        return ""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def lifetime_value(payments: Iterable[PaymentFact]) -> Decimal:
    """Sum of distinct active payments: recomputed, never incremented.

    Voided payments and their voiding rows are `cancelled`, deleted ones
    `entered-in-error`: both drop out. Refunds are active with a negative total.
    """
    distinct = {p.id: p for p in payments}
    return sum((p.total for p in distinct.values() if p.status == "active"), Decimal("0"))


def is_existing_patient(
    patient: PatientFact | None, appointments: Iterable[AppointmentFact]
) -> bool:
    """Existing patients keep their opportunities `won`; leads stay `open`.

    A patient is existing once any of their appointments is fulfilled, or when Nextech
    Cloud already calls them a "Patient" rather than a "Prospect". Practice+'s status
    (Active/Inactive) says nothing about that, so there only visits count.
    """
    if any(a.status_class is StatusClass.FULFILLED for a in appointments):
        return True
    status = (patient.patient_status if patient else "").strip().lower()
    return status == "patient"


def next_visit(appointments: Iterable[AppointmentFact], *, today: date) -> AppointmentFact | None:
    """The earliest upcoming appointment that is still on; None clears Next Visit."""
    upcoming = [a for a in appointments if a.date >= today and a.status_class is StatusClass.BOOKED]
    return min(upcoming, key=lambda a: (a.date, a.start_time, a.id), default=None)


def last_visit(appointments: Iterable[AppointmentFact]) -> AppointmentFact | None:
    fulfilled = [a for a in appointments if a.status_class is StatusClass.FULFILLED]
    return max(fulfilled, key=lambda a: (a.date, a.start_time, a.id), default=None)


def latest_change(appointments: Iterable[AppointmentFact]) -> AppointmentFact | None:
    """The appointment most recently changed in Nextech: it fills the NXT Appointment fields."""
    return max(
        appointments,
        key=lambda a: (a.last_updated is not None, a.last_updated, a.date, a.id),
        default=None,
    )


def _appointment_fields(appointment: AppointmentFact, rules: Rules) -> dict[str, str]:
    category = category_of(appointment, rules)
    return {
        "nxt_appointment_date": crm_date(appointment.date),
        "nxt_appointment_time": crm_time(appointment.start_time),
        "nxt_appointment_location": appointment.location_name,
        "nxt_appointment_practitioner": appointment.practitioner,
        "nxt_appointment_purpose": ", ".join(appointment.purpose_names),
        "nxt_appointment_status": appointment.status_label,
        "nxt_appointment_type": appointment.type_name,
        "appointment_category": category.label if category else "Uncategorized",
    }


def _payment_fields(payments: list[PaymentFact]) -> dict[str, str]:
    active = [p for p in payments if p.status == "active"]
    latest = max(active, key=lambda p: (p.payment_date or date.min, p.id), default=None)
    if latest is None:
        if not payments:
            return {}
        # Every payment voided: what the contact showed of them is taken back.
        return {"invoice_paid_amount": "", "nxt_last_payment_date": "",
                "nxt_payment_status": "", "patient_lifetime_value": money(Decimal(0))}
    return {
        "invoice_paid_amount": money(latest.total),
        "nxt_last_payment_date": crm_date(latest.payment_date),
        "nxt_payment_status": latest.status,
        "patient_lifetime_value": money(lifetime_value(payments)),
    }


def service_tags(appointments: Iterable[AppointmentFact], rules: Rules) -> set[str]:
    """`NXT Service: <service>` for every service the patient has received."""
    if not rules.service_tag_template:
        return set()
    tags = set()
    for appointment in appointments:
        if appointment.status_class is StatusClass.FULFILLED:
            for service in appointment.purpose_names or (appointment.type_name,):
                if service:
                    tags.add(rules.service_tag_template.format(service=service)[:100])
    return tags


def contact_desired(
    *,
    patient: PatientFact,
    appointments: Iterable[AppointmentFact],
    payments: Iterable[PaymentFact],
    rules: Rules,
    today: date,
) -> DesiredContact:
    visits = [a for a in appointments if a.patient_id == patient.id]
    paid = [p for p in payments if p.patient_id == patient.id] if rules.payments_enabled else []

    core = {
        "firstName": patient.given,
        "lastName": patient.family,
        "email": patient.email.lower(),
        "phone": patient.phone,
    }
    fields: dict[str, str] = {"nxt_patient_id": patient.id}
    latest = latest_change(visits)
    if latest is not None:
        fields.update(_appointment_fields(latest, rules))
    upcoming = next_visit(visits, today=today)
    fields["next_visit_date"] = crm_date(upcoming.date) if upcoming else ""
    fields["nxt_next_visit_time"] = crm_time(upcoming.start_time) if upcoming else ""
    fields["next_visit_service"] = upcoming.service if upcoming else ""
    previous = last_visit(visits)
    if previous is not None:
        fields["last_visit_date"] = crm_date(previous.date)
        fields["last_visit_service"] = previous.service
        # The spec fills the birthday once a visit is fulfilled.
        if patient.birth_date:
            fields["nxt_birthday"] = crm_date(patient.birth_date)
            core["dateOfBirth"] = crm_date(patient.birth_date)
    fields.update(_payment_fields(paid))

    tags = service_tags(visits, rules)
    assigned_user = ""
    workflows: set[str] = set()
    if latest is not None and latest.location_id in rules.routing:
        routing = rules.routing[latest.location_id]
        if routing.tag:
            tags.add(routing.tag)
        if routing.workflow_id:
            workflows.add(routing.workflow_id)
        assigned_user = routing.user_id

    existing = is_existing_patient(patient, visits)
    value = lifetime_value(paid) if paid else None
    name = f"{patient.given} {patient.family}".strip() or f"Patient {patient.id}"
    opportunities = {
        pipeline: OpportunityTarget(
            stage=stage, status="won" if existing else "open", value=value, name=name
        )
        for pipeline, (stage, _) in stages_by_pipeline(visits, rules).items()
    }
    return DesiredContact(
        patient_id=patient.id,
        core={k: v for k, v in core.items() if v},
        fields=fields,
        tags=frozenset(tags),
        opportunities=opportunities,
        assigned_user_id=assigned_user,
        workflows=frozenset(workflows),
    )
