"""The spec's appointment categories and canonical pipeline stages (pure, no Django)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    SURGICAL_CONSULT = "surgical_consult"
    SURGICAL_APPOINTMENT = "surgical_appointment"
    NON_SURGICAL_CONSULT = "non_surgical_consult"
    NON_SURGICAL_APPOINTMENT = "non_surgical_appointment"
    BLOCK = "block"
    PRE_OP = "pre_op"
    POST_OP = "post_op"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.SURGICAL_CONSULT: "Surgical Consult",
    Category.SURGICAL_APPOINTMENT: "Surgical Appointment",
    Category.NON_SURGICAL_CONSULT: "Non-Surgical Consult",
    Category.NON_SURGICAL_APPOINTMENT: "Non-Surgical Appointment",
    Category.BLOCK: "Block",
    Category.PRE_OP: "Pre-Op Appointment",
    Category.POST_OP: "Post-Op Appointment",
    Category.ONLINE: "Online Appointment",
}

# Categories that the spec says never move an opportunity.
NON_MOVING_CATEGORIES = frozenset({Category.BLOCK, Category.PRE_OP, Category.POST_OP})


class Pipeline(StrEnum):
    SURGICAL = "surgical"
    NON_SURGICAL = "non_surgical"


class Stage(StrEnum):
    """Canonical stages, named `<pipeline>:<stage>`; each maps to one GoHighLevel stage id."""

    CONSULT_BOOKED = "surgical:consult_booked"
    CONSULT_COMPLETE = "surgical:consult_complete"
    SURGERY_SCHEDULED = "surgical:surgery_scheduled"
    SURGERY_COMPLETE = "surgical:surgery_complete"
    SURGICAL_CANCELLED = "surgical:cancelled_no_show"
    BOOKED = "non_surgical:booked"
    PATIENT = "non_surgical:patient"
    NON_SURGICAL_CANCELLED = "non_surgical:cancelled_no_show"

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(self.value.split(":")[0])

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS: dict[Stage, str] = {
    Stage.CONSULT_BOOKED: "Consult Booked",
    Stage.CONSULT_COMPLETE: "Consult Complete",
    Stage.SURGERY_SCHEDULED: "Surgery Scheduled",
    Stage.SURGERY_COMPLETE: "Surgery Complete",
    Stage.SURGICAL_CANCELLED: "Cancelled / No-Show",
    Stage.BOOKED: "Booked",
    Stage.PATIENT: "Patient",
    Stage.NON_SURGICAL_CANCELLED: "Cancelled / No-Show",
}

PIPELINE_LABELS: dict[Pipeline, str] = {
    Pipeline.SURGICAL: "Surgical",
    Pipeline.NON_SURGICAL: "Non-Surgical",
}
