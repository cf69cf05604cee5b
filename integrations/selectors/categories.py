"""The category review: every appointment type and each of its purposes with its category
and what that category does, unmapped types first; the spreadsheet lists the same rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from integrations.categories import Category, Stage
from integrations.engine.stages import category_leads_to
from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping, EngineSettings
from tenants.models import Practice


@dataclass(frozen=True)
class PurposeRow:
    purpose: AppointmentPurpose
    # None: this purpose follows its type's category.
    mapping: CategoryMapping | None
    leads_to: str = ""  # empty while it follows its type


@dataclass(frozen=True)
class TypeRow:
    appointment_type: AppointmentType
    mapping: CategoryMapping | None  # None: unmapped, needs a person
    purposes: list[PurposeRow] = field(default_factory=list)
    leads_to: str = ""

    @property
    def unmapped(self) -> bool:
        return self.mapping is None


@dataclass(frozen=True)
class CategoryReview:
    rows: list[TypeRow]  # unmapped first, then by name
    unmapped: int
    unconfirmed: int  # mappings only suggested from names, not yet confirmed by a person
    # Suggestions on the page, for "Confirm all shown" (only these, not any added since).
    suggested_ids: tuple[int, ...] = ()
    # Purposes Nextech files under no type: an appointment with one uses its type's row.
    purposes_without_type: tuple[AppointmentPurpose, ...] = ()


def category_outcomes_read(*, surgical: bool) -> dict[Category, str]:
    """What each category does at this schema's practice (`surgical`: it has the surgical
    pipeline), with its Online routing."""
    routing = EngineSettings.objects.values_list("online_routing", flat=True).first()
    online_stage = Stage(routing) if routing else None
    return {category: category_leads_to(category, surgical=surgical, online_stage=online_stage)
            for category in Category}


def practice_surgical() -> bool:
    """Whether the practice whose schema is in use has the surgical pipeline."""
    schema = connection.schema_name  # type: ignore[attr-defined]
    kind = Practice.objects.filter(schema_name=schema).values_list(
        "practice_type", flat=True).first()
    return kind != Practice.Kind.MEDSPA


def _leads_to(mapping: CategoryMapping | None, outcomes: dict[Category, str]) -> str:
    if mapping is None:
        return "Moves nothing until a category is chosen."
    outcome = outcomes[Category(mapping.category)]
    if mapping.source == CategoryMapping.Source.SUGGESTED:
        return f"Waits for review, moves nothing. Once confirmed: {outcome}"
    return outcome


def category_review_read(*, surgical: bool = True) -> CategoryReview:
    """The review of this schema's practice; `surgical`: it has the surgical pipeline."""
    outcomes = category_outcomes_read(surgical=surgical)
    mappings = list(CategoryMapping.objects.select_related("appointment_type", "purpose"))
    by_key = {(m.appointment_type_id, m.purpose_id): m for m in mappings}
    purposes: dict[int | None, list[AppointmentPurpose]] = {}
    for purpose in AppointmentPurpose.objects.filter(active=True).order_by("name"):
        purposes.setdefault(purpose.appointment_type_id, []).append(purpose)
    rows = []
    for appointment_type in AppointmentType.objects.filter(active=True).order_by("name"):
        mapping = by_key.get((appointment_type.pk, None))
        purpose_rows = []
        for purpose in purposes.get(appointment_type.pk, []):
            own = by_key.get((appointment_type.pk, purpose.pk))
            purpose_rows.append(PurposeRow(purpose, own,
                                           leads_to=_leads_to(own, outcomes) if own else ""))
        rows.append(TypeRow(appointment_type=appointment_type, mapping=mapping,
                            purposes=purpose_rows, leads_to=_leads_to(mapping, outcomes)))
    rows.sort(key=lambda row: not row.unmapped)  # stable: names stay in order
    shown = [row.mapping for row in rows] + [p.mapping for row in rows for p in row.purposes]
    suggested = tuple(m.pk for m in shown
                      if m is not None and m.source == CategoryMapping.Source.SUGGESTED)
    return CategoryReview(
        rows=rows,
        unmapped=sum(row.unmapped for row in rows),
        unconfirmed=sum(m.source == CategoryMapping.Source.SUGGESTED for m in mappings),
        suggested_ids=suggested,
        purposes_without_type=tuple(purposes.get(None, [])),
    )


def review_mappings(review: CategoryReview) -> list[CategoryMapping]:
    """One mapping per row of the review, in its order: a type's, then each purpose's; an
    unsaved one with no category where nobody mapped the type or the purpose follows it."""
    listed: list[CategoryMapping] = []
    for row in review.rows:
        listed.append(row.mapping or CategoryMapping(appointment_type=row.appointment_type,
                                                     category=""))
        listed.extend(p.mapping or CategoryMapping(appointment_type=row.appointment_type,
                                                   purpose=p.purpose, category="")
                      for p in row.purposes)
    return listed


def unconfirmed_count() -> int:
    """Types nobody mapped plus mappings only suggested: what still needs a person."""
    review = category_review_read()
    return review.unmapped + review.unconfirmed
