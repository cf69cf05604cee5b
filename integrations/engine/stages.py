"""Categories and the spec's pipeline tables: which stage an appointment puts a contact in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from integrations.categories import (
    NON_MOVING_CATEGORIES,
    PIPELINE_LABELS,
    Category,
    Pipeline,
    Stage,
)
from integrations.engine.facts import AppointmentFact, Rules, StatusClass

# The spec's two tables, row for row: (category, status class) -> stage.
PIPELINE_TABLE: dict[tuple[Category, StatusClass], Stage] = {
    (Category.SURGICAL_CONSULT, StatusClass.BOOKED): Stage.CONSULT_BOOKED,
    (Category.SURGICAL_CONSULT, StatusClass.FULFILLED): Stage.CONSULT_COMPLETE,
    (Category.SURGICAL_CONSULT, StatusClass.CANCELLED): Stage.SURGICAL_CANCELLED,
    (Category.SURGICAL_CONSULT, StatusClass.NO_SHOW): Stage.SURGICAL_CANCELLED,
    (Category.SURGICAL_APPOINTMENT, StatusClass.BOOKED): Stage.SURGERY_SCHEDULED,
    (Category.SURGICAL_APPOINTMENT, StatusClass.FULFILLED): Stage.SURGERY_COMPLETE,
    (Category.SURGICAL_APPOINTMENT, StatusClass.CANCELLED): Stage.SURGICAL_CANCELLED,
    (Category.SURGICAL_APPOINTMENT, StatusClass.NO_SHOW): Stage.SURGICAL_CANCELLED,
    (Category.NON_SURGICAL_CONSULT, StatusClass.BOOKED): Stage.BOOKED,
    (Category.NON_SURGICAL_CONSULT, StatusClass.FULFILLED): Stage.PATIENT,
    (Category.NON_SURGICAL_CONSULT, StatusClass.CANCELLED): Stage.NON_SURGICAL_CANCELLED,
    (Category.NON_SURGICAL_CONSULT, StatusClass.NO_SHOW): Stage.NON_SURGICAL_CANCELLED,
    (Category.NON_SURGICAL_APPOINTMENT, StatusClass.BOOKED): Stage.BOOKED,
    (Category.NON_SURGICAL_APPOINTMENT, StatusClass.FULFILLED): Stage.PATIENT,
    (Category.NON_SURGICAL_APPOINTMENT, StatusClass.CANCELLED): Stage.NON_SURGICAL_CANCELLED,
    (Category.NON_SURGICAL_APPOINTMENT, StatusClass.NO_SHOW): Stage.NON_SURGICAL_CANCELLED,
}

# An online appointment routed "as" one of these categories, per the practice's setting.
ONLINE_AS: dict[Stage, Category] = {
    Stage.BOOKED: Category.NON_SURGICAL_CONSULT,
    Stage.CONSULT_BOOKED: Category.SURGICAL_CONSULT,
}

SURGICAL_CATEGORIES = frozenset({Category.SURGICAL_CONSULT, Category.SURGICAL_APPOINTMENT})


def _mapping_of(appointment: AppointmentFact, rules: Rules) -> tuple[Category | None, bool]:
    """The governing mapping's category and whether a person confirmed it.

    A purpose-specific mapping beats the type-only one, confirmed or not: a suggestion that
    a purpose differs from its type must not be overruled by the type's category.
    """
    keys = [(appointment.type_id, p) for p in appointment.purpose_ids]
    for key in [*keys, (appointment.type_id, None)]:
        if key in rules.categories:
            return rules.categories[key], True
        if key in rules.suggestions:
            return rules.suggestions[key], False
    return None, False


def category_of(appointment: AppointmentFact, rules: Rules) -> Category | None:
    """The confirmed category; None when unmapped or only suggested (waiting for review)."""
    category, confirmed = _mapping_of(appointment, rules)
    return category if confirmed else None


def suggestion_of(appointment: AppointmentFact, rules: Rules) -> Category | None:
    """The unconfirmed suggestion the appointment waits on, if that is why it has none."""
    category, confirmed = _mapping_of(appointment, rules)
    return None if confirmed else category


def uncategorized_reason(appointment: AppointmentFact, rules: Rules) -> str:
    """Why an appointment without a category moves nothing, in the note's and log's words."""
    suggested = suggestion_of(appointment, rules)
    if suggested is not None:
        return f"suggested {suggested.label}, not confirmed: waits for review"
    return "uncategorized appointment type: queued for review"


@dataclass(frozen=True)
class StageDecision:
    stage: Stage | None
    # Why nothing moved, for the sync log and the review queue; empty when it moved.
    held_because: str = ""
    # A person should look at it: the category contradicts the practice's kind.
    flagged: bool = False


def stage_of(appointment: AppointmentFact, rules: Rules) -> StageDecision:
    category = category_of(appointment, rules)
    if category is None:
        return StageDecision(None, uncategorized_reason(appointment, rules))
    if category in NON_MOVING_CATEGORIES:
        return StageDecision(None, f"{category.label} never moves the opportunity")
    if category is Category.ONLINE:
        if rules.online_stage is None:
            return StageDecision(None, "online appointments are set not to move the opportunity")
        category = ONLINE_AS[rules.online_stage]
    if category in SURGICAL_CATEGORIES and not rules.surgical:
        return StageDecision(
            None, f"{category.label} at a med-spa-only practice: flagged for review",
            flagged=True,
        )
    stage = PIPELINE_TABLE.get((category, appointment.status_class))
    if stage is None:
        return StageDecision(None, f"status {appointment.status_label!r} moves nothing")
    return StageDecision(stage)


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _booking_order(appointment: AppointmentFact) -> tuple[datetime, object, str]:
    booked = appointment.booked_at or appointment.last_updated or _EPOCH
    return (booked, appointment.date, appointment.id)


def stages_by_pipeline(
    appointments: Iterable[AppointmentFact], rules: Rules
) -> dict[Pipeline, tuple[Stage, AppointmentFact]]:
    """Each pipeline's stage, from the patient's most recently *booked* moving appointment.

    Booking order, not polling order, decides: a rescheduled visit is booked after the
    one it replaces, so the old one's cancellation (whenever it is polled, and even if it
    is stamped after the new booking) never moves the contact backwards. A cancellation
    governs only when nothing was booked after it.
    """
    governing: dict[Pipeline, tuple[Stage, AppointmentFact]] = {}
    for appointment in sorted(appointments, key=_booking_order):
        stage = stage_of(appointment, rules).stage
        if stage is not None:
            governing[stage.pipeline] = (stage, appointment)
    return governing


def category_leads_to(category: Category, *, surgical: bool, online_stage: Stage | None) -> str:
    """What an appointment of this category does to the opportunity, in the review page's
    and the spreadsheet's words (from the same tables stage_of reads)."""
    if category in NON_MOVING_CATEGORIES:
        return "Never moves the opportunity."
    prefix = ""
    if category is Category.ONLINE:
        if online_stage is None:
            return "Moves nothing: online appointments are not routed (Engine settings)."
        category = ONLINE_AS[online_stage]
        prefix = f"As a {category.label}: "
    if category in SURGICAL_CATEGORIES and not surgical:
        return ("Moves nothing: this practice has no surgical pipeline, so the appointment is "
                "flagged for review.")
    booked, fulfilled, cancelled = (PIPELINE_TABLE[(category, status)] for status in (
        StatusClass.BOOKED, StatusClass.FULFILLED, StatusClass.CANCELLED))
    pipeline = PIPELINE_LABELS[booked.pipeline]
    return (f"{prefix}{pipeline} pipeline: {booked.label} when booked, {fulfilled.label} when "
            f"fulfilled, {cancelled.label} when cancelled or a no-show.")
