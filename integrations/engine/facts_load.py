"""From this practice's tables to the plain facts and rules the decisions take."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

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
    AppointmentPurpose,
    AppointmentType,
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


# The rows the rules come from, in one statement and without a model instance per row:
# through the ORM it takes three queries and three instances per category mapping (with
# its type and purpose), most of what deciding an event tick's first patient cost. Read
# anew every tick, so what staff change in the admin or the portal applies at once.
_RULES_SQL = """
SELECT json_build_array(
    (SELECT coalesce(json_agg(json_build_array(t.nextech_id, p.nextech_id, m.category,
                                               m.source)), '[]')
     FROM {mapping} m JOIN {type} t ON t.id = m.appointment_type_id
     LEFT JOIN {purpose} p ON p.id = m.purpose_id),
    (SELECT coalesce(json_agg(json_build_array(r.trigger, r.workflow_id, r.categories)
                              ORDER BY r.id), '[]')
     FROM {rule} r WHERE r.active),
    (SELECT coalesce(json_agg(json_build_array(l.nextech_id, l.routing_tag, l.routing_user_id,
                                               l.routing_workflow_id)), '[]')
     FROM {location} l
     WHERE l.routing_tag <> '' OR l.routing_user_id <> '' OR l.routing_workflow_id <> '')
)::text
"""


def _rule_rows() -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    """(type id, purpose id, category, source) per category mapping; (trigger, workflow id,
    categories) per active automation; (location id, tag, user id, workflow id) per
    location that routes."""
    sql = _RULES_SQL.format(
        mapping=CategoryMapping._meta.db_table, type=AppointmentType._meta.db_table,
        purpose=AppointmentPurpose._meta.db_table, rule=AutomationRule._meta.db_table,
        location=Location._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        mappings, automations, routings = json.loads(cursor.fetchone()[0])
    return mappings, automations, routings


def rules_load(practice: Practice, *, settings: EngineSettings | None = None) -> Rules:
    """The practice's rules; `settings`: its EngineSettings when already read."""
    settings = settings or EngineSettings.current()
    mappings, automations, routings = _rule_rows()
    categories: dict[tuple[str, str | None], Category] = {}
    suggestions: dict[tuple[str, str | None], Category] = {}
    for type_id, purpose_id, category, source in mappings:
        into = suggestions if source == CategoryMapping.Source.SUGGESTED else categories
        into[(type_id, purpose_id)] = Category(category)
    return Rules(
        surgical=practice.practice_type == Practice.Kind.SURGICAL_AND_MEDSPA,
        payments_enabled=practice.payments_enabled,
        categories=categories,
        suggestions=suggestions,
        online_stage=Stage(settings.online_routing) if settings.online_routing else None,
        automations=tuple(
            Automation(trigger=trigger, workflow_id=workflow_id,
                       categories=frozenset(rule_categories))
            for trigger, workflow_id, rule_categories in automations),
        review_workflow_id=settings.review_workflow_id,
        review_cooldown_days=settings.review_cooldown_days,
        service_tag_template=settings.service_tag_template,
        routing={location_id: Routing(tag=tag, user_id=user_id, workflow_id=workflow_id)
                 for location_id, tag, user_id, workflow_id in routings},
    )
