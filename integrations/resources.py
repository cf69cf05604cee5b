"""django-import-export resources: the appointment category spreadsheet.

One row per appointment type and per purpose of it, keyed on Nextech's ids (appointment
type id + purpose id, blank for "every purpose of this type"). The names are read-only
helper columns so the client can read the sheet; editing them changes nothing. The category
is written as the spec's label ("Surgical Consult").

Only what a person fills in counts as a review: a suggestion is exported beside an empty
Category cell, a row left empty stays waiting for review (a purpose's: it follows its
type), and a row whose category is already the confirmed one is left as it was, confirmer
and all. So uploading an export unchanged confirms nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from axconnect.spreadsheet_cells import cell_safe
from integrations.categories import CATEGORY_LABELS, Category
from integrations.category_review import waiting_appointments_release
from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping
from integrations.selectors.categories import category_review_read, review_mappings

TYPE_ID = "Appointment type id"
TYPE_NAME = "Appointment type"
PURPOSE_ID = "Purpose id"
PURPOSE_NAME = "Purpose"
CATEGORY = "Category"
SUGGESTED = "Suggested category"
SOURCE = "Status"
CONFIRMED_BY = "Confirmed by"
CONFIRMED_AT = "Confirmed at"

CATEGORY_CHOICES_TEXT = ", ".join(CATEGORY_LABELS.values())


def _category_key(text: str) -> str:
    # "Block (does not update opportunities)", "non surgical consult", "NON-SURGICAL CONSULT"
    without_note = re.sub(r"\(.*?\)", " ", text)
    return re.sub(r"[^a-z0-9]+", "", without_note.casefold())


_CATEGORY_BY_KEY: dict[str, Category] = {
    **{_category_key(label): category for category, label in CATEGORY_LABELS.items()},
    **{_category_key(category.value): category for category in Category},
}


def category_parse(value: Any) -> Category:
    """The category a spreadsheet cell names; ValueError with the allowed labels if none."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(f"Choose a category: one of {CATEGORY_CHOICES_TEXT}.")
    found = _CATEGORY_BY_KEY.get(_category_key(text))
    if found is None:
        raise ValueError(f"“{text}” is not a category. Use one of: {CATEGORY_CHOICES_TEXT}.")
    return found


def nextech_id_text(value: Any) -> str:
    """Ids as text whatever the spreadsheet made of them (5, 5.0, " 5 ")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


class CategoryWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        # An empty cell is a row nobody reviewed: skipped (skip_row), never an error.
        return "" if _blank(value) else category_parse(value).value

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return Category(value).label if value else ""


class NextechIdWidget(widgets.ForeignKeyWidget):
    """A type or purpose by its Nextech id; unknown ids were already reported per row.

    `known` (set by the resource before an import) holds the catalog read once, so a row
    costs no look-up."""

    known: dict[str, Any] | None = None

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = nextech_id_text(value)
        if self.known is not None:
            return self.known.get(text)  # an unknown id on a row to import was reported
        return super().clean(text or None, row, **kwargs)


class MappingLoader(BaseInstanceLoader):
    """Every mapping read once, found by its (type, purpose) as the row names them."""

    def __init__(self, resource: Any, dataset: Any = None) -> None:
        super().__init__(resource, dataset)
        self.mappings = {(m.appointment_type_id, m.purpose_id): m
                         for m in CategoryMapping.objects.select_related(
                             "appointment_type", "purpose")}

    def get_instance(self, row: Any) -> CategoryMapping | None:
        fields = self.resource.fields
        appointment_type = fields["appointment_type"].clean(row)
        if appointment_type is None:
            return None  # a blank row, skipped
        purpose = fields["purpose"].clean(row)
        return self.mappings.get((appointment_type.pk, purpose.pk if purpose else None))


class SafeTextWidget(widgets.Widget):
    """Names come from the practice's EMR: quoted where a spreadsheet would run them."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return cell_safe(value)


class CategoryMappingResource(resources.ModelResource):
    appointment_type = fields.Field(
        attribute="appointment_type", column_name=TYPE_ID,
        widget=NextechIdWidget(AppointmentType, field="nextech_id"))
    appointment_type_name = fields.Field(attribute="appointment_type__name",
                                         column_name=TYPE_NAME, readonly=True,
                                         widget=SafeTextWidget())
    purpose = fields.Field(attribute="purpose", column_name=PURPOSE_ID,
                           widget=NextechIdWidget(AppointmentPurpose, field="nextech_id"),
                           saves_null_values=True)
    purpose_name = fields.Field(attribute="purpose__name", column_name=PURPOSE_NAME,
                                readonly=True, widget=SafeTextWidget())
    category = fields.Field(attribute="category", column_name=CATEGORY, widget=CategoryWidget())
    suggested = fields.Field(column_name=SUGGESTED, readonly=True)
    source = fields.Field(attribute="source", column_name=SOURCE, readonly=True)
    confirmed_by = fields.Field(attribute="confirmed_by", column_name=CONFIRMED_BY,
                                readonly=True, widget=SafeTextWidget())
    confirmed_at = fields.Field(attribute="confirmed_at", column_name=CONFIRMED_AT,
                                readonly=True, widget=widgets.DateTimeWidget())

    class Meta:
        model = CategoryMapping
        fields = ("appointment_type", "appointment_type_name", "purpose", "purpose_name",
                  "category", "suggested", "source", "confirmed_by", "confirmed_at")
        export_order = fields
        import_id_fields = ("appointment_type", "purpose")
        instance_loader_class = MappingLoader
        # skip_row decides: an unchanged confirmed row keeps who confirmed it.
        skip_unchanged = False
        use_transactions = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seen_rows: dict[tuple[str, str], int] = {}
        self._waited_type_ids: set[str] = set()  # types whose appointments waited for review
        self.left_waiting = 0  # rows with no category filled in: not reviewed
        self.unchanged = 0  # rows already confirmed with the category they carry
        self._type_ids: set[str] = set()
        self._purpose_ids: set[str] = set()

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        # Every row is checked against the catalog: read it once, not per row.
        types = {t.nextech_id: t for t in AppointmentType.objects.all()}
        purposes = {p.nextech_id: p for p in AppointmentPurpose.objects.all()}
        self.fields["appointment_type"].widget.known = types
        self.fields["purpose"].widget.known = purposes
        self._type_ids, self._purpose_ids = set(types), set(purposes)

    def get_queryset(self) -> QuerySet[CategoryMapping]:
        return (CategoryMapping.objects.select_related("appointment_type", "purpose")
                .order_by("appointment_type__name", F("purpose__name").asc(nulls_first=True)))

    def dehydrate_source(self, mapping: CategoryMapping) -> str:
        if mapping.pk:
            return mapping.get_source_display()
        return "Follows the type" if mapping.purpose_id else "Not mapped yet"

    def dehydrate_category(self, mapping: CategoryMapping) -> str:
        suggested = mapping.source == CategoryMapping.Source.SUGGESTED
        return "" if suggested or not mapping.category else Category(mapping.category).label

    def dehydrate_suggested(self, mapping: CategoryMapping) -> str:
        suggested = mapping.source == CategoryMapping.Source.SUGGESTED and mapping.category
        return Category(mapping.category).label if suggested else ""

    # Import ------------------------------------------------------------------------
    @staticmethod
    def _blank(row: Any) -> bool:
        return all(value in (None, "") for value in row.values())

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        """Check the row as the client wrote it; every problem becomes a message on it."""
        if self._blank(row) or _blank(row.get(CATEGORY)):
            return  # skipped: nothing a person decided
        problems: dict[str, list[str]] = {}
        type_id = nextech_id_text(row.get(TYPE_ID))
        purpose_id = nextech_id_text(row.get(PURPOSE_ID))
        if not type_id:
            problems[TYPE_ID] = ["An appointment type id is required."]
        elif type_id not in self._type_ids:
            problems[TYPE_ID] = [f"No appointment type with id “{type_id}” was pulled from "
                                 "Nextech."]
        if purpose_id and purpose_id not in self._purpose_ids:
            problems[PURPOSE_ID] = [f"No appointment purpose with id “{purpose_id}” was "
                                    "pulled from Nextech."]
        try:
            category_parse(row.get(CATEGORY))
        except ValueError as error:
            problems[CATEGORY] = [str(error)]
        key = (type_id, purpose_id)
        row_number = kwargs.get("row_number", 0)
        if type_id and key in self._seen_rows:
            problems.setdefault(TYPE_ID, []).append(
                f"This type and purpose are already on row {self._seen_rows[key] + 1}.")
        self._seen_rows.setdefault(key, row_number)
        if problems:
            raise ValidationError(problems)

    def skip_row(self, instance: Any, original: Any, row: Any,
                 import_validation_errors: Any = None) -> bool:
        if self._blank(row):
            return True  # spreadsheet programs leave empty rows at the end of a sheet
        if _blank(row.get(CATEGORY)):
            self.left_waiting += 1
            return True
        decided = original is not None and original.pk and (
            original.source != CategoryMapping.Source.SUGGESTED)
        if decided and original.category == instance.category:
            self.unchanged += 1
            return True
        return False

    def before_save_instance(self, instance: CategoryMapping, row: Any, **kwargs: Any) -> None:
        user = kwargs.get("user")
        # A purpose row that is new followed its type's category, which may have moved
        # contacts; a suggested or missing type row moved nothing.
        if (instance.pk is None and instance.purpose_id is None) or (
                instance.source == CategoryMapping.Source.SUGGESTED):
            self._waited_type_ids.add(instance.appointment_type.nextech_id)
        instance.source = CategoryMapping.Source.IMPORTED
        instance.confirmed_by = user.get_username() if user is not None else ""
        instance.confirmed_at = timezone.now()

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        written = not kwargs.get("dry_run") and not (
            result.has_errors() or result.has_validation_errors())
        if written:
            user = kwargs.get("user")
            waiting_appointments_release(type_ids=self._waited_type_ids,
                                         by=user.get_username() if user else "the spreadsheet")

    # Export ------------------------------------------------------------------------
    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        """A whole-table export lists every type and purpose the review page shows, in its
        order (unmapped types first); a filtered admin export shows just what it matched."""
        if isinstance(queryset, QuerySet) and queryset.query.has_filters():
            return queryset
        return review_mappings(category_review_read())
