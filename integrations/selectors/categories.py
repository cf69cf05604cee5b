"""The category review: every appointment type and purpose with its category, unmapped
types first."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping


@dataclass(frozen=True)
class PurposeRow:
    purpose: AppointmentPurpose
    # None: this purpose follows its type's category.
    mapping: CategoryMapping | None


@dataclass(frozen=True)
class TypeRow:
    appointment_type: AppointmentType
    mapping: CategoryMapping | None  # None: unmapped, needs a person
    purposes: list[PurposeRow] = field(default_factory=list)

    @property
    def unmapped(self) -> bool:
        return self.mapping is None


@dataclass(frozen=True)
class CategoryReview:
    rows: list[TypeRow]  # unmapped first, then by name
    unmapped: int
    unconfirmed: int  # mappings only suggested from names, not yet confirmed by a person


def category_review_read() -> CategoryReview:
    mappings = CategoryMapping.objects.select_related("appointment_type", "purpose")
    by_key = {(m.appointment_type_id, m.purpose_id): m for m in mappings}
    purposes: dict[int | None, list[AppointmentPurpose]] = {}
    for purpose in AppointmentPurpose.objects.filter(active=True).order_by("name"):
        purposes.setdefault(purpose.appointment_type_id, []).append(purpose)
    rows = []
    for appointment_type in AppointmentType.objects.filter(active=True).order_by("name"):
        rows.append(TypeRow(
            appointment_type=appointment_type,
            mapping=by_key.get((appointment_type.pk, None)),
            purposes=[PurposeRow(p, by_key.get((appointment_type.pk, p.pk)))
                      for p in purposes.get(appointment_type.pk, [])],
        ))
    rows.sort(key=lambda row: not row.unmapped)  # stable: names stay in order
    return CategoryReview(
        rows=rows,
        unmapped=sum(row.unmapped for row in rows),
        unconfirmed=mappings.filter(source=CategoryMapping.Source.SUGGESTED).count(),
    )


def unconfirmed_count() -> int:
    """Types nobody mapped plus mappings only suggested: what still needs a person."""
    review = category_review_read()
    return review.unmapped + review.unconfirmed
