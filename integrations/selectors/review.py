"""Everything in a practice that waits for a person, in one queue: the dashboard's
"needs your review" count is the length of this queue, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from integrations.categories import Category
from integrations.engine.facts_load import appointment_fact, rules_load
from integrations.engine.stages import SURGICAL_CATEGORIES, category_of, stage_of
from integrations.models import AppointmentType, CategoryMapping, KnownAppointment, KnownPatient
from integrations.selectors.categories import category_review_read
from integrations.selectors.failures import DeadLetter, dead_letters_list
from tenants.models import Practice

# Flagged appointments dated this far back (and every later one) are listed: older ones
# no longer decide a stage anyone acts on, and their sync-log lines are purged by then.
FLAGGED_LOOKBACK_DAYS = 30
# A category that can put an appointment in the surgical pipeline (online ones when the
# practice routes them as surgical consults): only these can be flagged.
MAYBE_SURGICAL = SURGICAL_CATEGORIES | {Category.ONLINE}


@dataclass(frozen=True)
class CategoryToReview:
    appointment_type: AppointmentType
    target: str  # "Type" or "Type / Purpose"
    suggested: str  # the suggested category's label; empty when nobody mapped it


@dataclass(frozen=True)
class FlaggedAppointment:
    appointment_id: str
    patient_ref: str
    patient_name: str
    date: date
    service: str
    status: str
    category: str  # its (surgical) category's label


@dataclass(frozen=True)
class ReviewQueue:
    failures: list[DeadLetter] = field(default_factory=list)  # dead letters and NXT-Create
    categories: list[CategoryToReview] = field(default_factory=list)
    flagged: list[FlaggedAppointment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.failures) + len(self.categories) + len(self.flagged)


def categories_to_review() -> list[CategoryToReview]:
    """Types nobody mapped, then mappings only suggested from a name, as the category
    review page counts them."""
    review = category_review_read()
    found = [CategoryToReview(row.appointment_type, row.appointment_type.name, "")
             for row in review.rows if row.unmapped]
    suggested = CategoryMapping.objects.filter(
        source=CategoryMapping.Source.SUGGESTED).select_related("appointment_type", "purpose")
    found.extend(
        CategoryToReview(
            mapping.appointment_type,
            f"{mapping.appointment_type.name} / {mapping.purpose.name}" if mapping.purpose
            else mapping.appointment_type.name,
            mapping.get_category_display())
        for mapping in sorted(suggested, key=lambda m: (m.appointment_type.name, m.pk)))
    return found


def flagged_appointments_list(*, practice: Practice, now: datetime) -> list[FlaggedAppointment]:
    """Recent and upcoming appointments the engine held back for a person (a surgical
    category at a med-spa-only practice), soonest first."""
    rules = rules_load(practice)
    types = {type_id for (type_id, _), category in rules.categories.items()
             if category in MAYBE_SURGICAL}
    if rules.surgical or not types:
        return []
    rows = KnownAppointment.objects.filter(
        type_id__in=types, start__gte=now - timedelta(days=FLAGGED_LOOKBACK_DAYS)
    ).order_by("start", "nextech_id")
    flagged = []
    for row in rows:
        fact = appointment_fact(row, time_zone=practice.time_zone)
        decision = stage_of(fact, rules)
        if decision.flagged:
            category = category_of(fact, rules)
            flagged.append((fact, category.label if category else ""))
    names = {p.nextech_id: f"{p.given} {p.family}".strip() for p in KnownPatient.objects.filter(
        nextech_id__in={fact.patient_id for fact, _ in flagged})}
    return [
        FlaggedAppointment(
            appointment_id=fact.id, patient_ref=fact.patient_id,
            patient_name=names.get(fact.patient_id, ""), date=fact.date, service=fact.service,
            status=fact.status_label or (fact.status or ""), category=label)
        for fact, label in flagged
    ]


def review_queue_read(*, practice: Practice, now: datetime) -> ReviewQueue:
    return ReviewQueue(
        failures=dead_letters_list(),
        categories=categories_to_review(),
        flagged=flagged_appointments_list(practice=practice, now=now),
    )
