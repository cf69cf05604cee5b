"""From this practice's tables to the plain facts and rules the decisions take."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from integrations.categories import Category, Stage
from integrations.engine.facts import (
    AppointmentFact,
    Automation,
    PatientFact,
    PaymentFact,
    Routing,
    Rules,
)
from integrations.models import (
    AutomationRule,
    CategoryMapping,
    EngineSettings,
    KnownAppointment,
    KnownPatient,
    KnownPayment,
    Location,
)
from tenants.models import Practice


def local_date(moment: datetime, time_zone: str) -> date:
    """The CRM stores dates only, in the practice's own day."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def local_time(moment: datetime, time_zone: str) -> time:
    """The time of day on the practice's clock (its offset that day: DST included).

    Locations have no time zone of their own in Nextech's data, so the practice's applies.
    """
    return moment.astimezone(ZoneInfo(time_zone)).time().replace(tzinfo=None)


def appointment_fact(row: KnownAppointment, *, time_zone: str) -> AppointmentFact:
    return AppointmentFact(
        id=row.nextech_id,
        patient_id=row.patient_id,
        status=row.status or None,
        status_label=row.status_label,
        date=local_date(row.start, time_zone),
        start_time=local_time(row.start, time_zone),
        booked_at=row.created,
        last_updated=row.last_updated,
        type_id=row.type_id,
        type_name=row.type_name,
        purpose_ids=tuple(row.purpose_ids),
        purpose_names=tuple(row.purpose_names),
        practitioner=row.practitioner_name,
        location_id=row.location_id,
        location_name=row.location_name,
    )


def patient_fact(row: KnownPatient) -> PatientFact:
    return PatientFact(
        id=row.nextech_id,
        given=row.given,
        family=row.family,
        email=row.email,
        phone=row.phone,
        birth_date=row.birth_date,
        patient_status=row.patient_status,
    )


def payment_fact(row: KnownPayment) -> PaymentFact:
    return PaymentFact(
        id=row.nextech_id,
        patient_id=row.patient_id,
        status=row.status,
        total=row.total,
        payment_date=row.payment_date,
        last_updated=row.last_updated,
    )


def patient_history(
    patient_id: str, *, time_zone: str
) -> tuple[list[AppointmentFact], list[PaymentFact]]:
    appointments = [
        appointment_fact(row, time_zone=time_zone)
        for row in KnownAppointment.objects.filter(patient_id=patient_id)
    ]
    payments = [payment_fact(row) for row in KnownPayment.objects.filter(patient_id=patient_id)]
    return appointments, payments


def rules_load(practice: Practice, *, settings: EngineSettings | None = None) -> Rules:
    """The practice's rules; `settings`: its EngineSettings when already read."""
    settings = settings or EngineSettings.current()
    categories: dict[tuple[str, str | None], Category] = {}
    suggestions: dict[tuple[str, str | None], Category] = {}
    for mapping in CategoryMapping.objects.select_related("appointment_type", "purpose"):
        purpose = mapping.purpose.nextech_id if mapping.purpose else None
        into = suggestions if mapping.source == CategoryMapping.Source.SUGGESTED else categories
        into[(mapping.appointment_type.nextech_id, purpose)] = Category(mapping.category)
    automations = tuple(
        Automation(
            trigger=rule.trigger,
            workflow_id=rule.workflow_id,
            categories=frozenset(rule.categories),
        )
        for rule in AutomationRule.objects.filter(active=True)
    )
    routing = {
        location.nextech_id: Routing(
            tag=location.routing_tag,
            user_id=location.routing_user_id,
            workflow_id=location.routing_workflow_id,
        )
        for location in Location.objects.all()
        if location.routing_tag or location.routing_user_id or location.routing_workflow_id
    }
    return Rules(
        surgical=practice.practice_type == Practice.Kind.SURGICAL_AND_MEDSPA,
        payments_enabled=practice.payments_enabled,
        categories=categories,
        suggestions=suggestions,
        online_stage=Stage(settings.online_routing) if settings.online_routing else None,
        automations=automations,
        review_workflow_id=settings.review_workflow_id,
        review_cooldown_days=settings.review_cooldown_days,
        service_tag_template=settings.service_tag_template,
        routing=routing,
    )
