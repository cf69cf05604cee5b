"""django-import-export resources: the appointment category spreadsheet.

One row per mapping, keyed on Nextech's ids (appointment type id + purpose id, blank for
"every purpose of this type"). The names are read-only helper columns so the client can
read the sheet; editing them changes nothing. The category is written as the spec's label
("Surgical Consult").
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from import_export import fields, resources, widgets

from integrations.categories import CATEGORY_LABELS, Category
from integrations.category_review import waiting_appointments_release
from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping

TYPE_ID = "Appointment type id"
TYPE_NAME = "Appointment type"
PURPOSE_ID = "Purpose id"
PURPOSE_NAME = "Purpose"
CATEGORY = "Category"
SOURCE = "Status"
CONFIRMED_BY = "Confirmed by"
CONFIRMED_AT = "Confirmed at"

CATEGORY_CHOICES_TEXT = ", ".join(CATEGORY_LABELS.values())
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV
# injection); the names come from the practice's EMR, so they are quoted on export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def spreadsheet_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class CategoryWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return category_parse(value).value

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return Category(value).label if value else ""


class NextechIdWidget(widgets.ForeignKeyWidget):
    """A type or purpose by its Nextech id; unknown ids were already reported per row."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        return super().clean(nextech_id_text(value) or None, row, **kwargs)


class SafeTextWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return spreadsheet_safe(value)


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
    source = fields.Field(attribute="source", column_name=SOURCE, readonly=True)
    confirmed_by = fields.Field(attribute="confirmed_by", column_name=CONFIRMED_BY,
                                readonly=True, widget=SafeTextWidget())
    confirmed_at = fields.Field(attribute="confirmed_at", column_name=CONFIRMED_AT,
                                readonly=True, widget=widgets.DateTimeWidget())

    class Meta:
        model = CategoryMapping
        fields = ("appointment_type", "appointment_type_name", "purpose", "purpose_name",
                  "category", "source", "confirmed_by", "confirmed_at")
        export_order = fields
        import_id_fields = ("appointment_type", "purpose")
        # Returning a sheet unchanged is the client confirming every row: never skip.
        skip_unchanged = False
        use_transactions = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seen_rows: dict[tuple[str, str], int] = {}
        self._waited_type_ids: set[str] = set()  # types whose appointments waited for review

    def get_queryset(self) -> QuerySet[CategoryMapping]:
        return (CategoryMapping.objects.select_related("appointment_type", "purpose")
                .order_by("appointment_type__name", F("purpose__name").asc(nulls_first=True)))

    def dehydrate_source(self, mapping: CategoryMapping) -> str:
        return mapping.get_source_display() if mapping.pk else "Not mapped yet"

    # Import ------------------------------------------------------------------------
    @staticmethod
    def _blank(row: Any) -> bool:
        return all(value in (None, "") for value in row.values())

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        """Check the row as the client wrote it; every problem becomes a message on it."""
        if self._blank(row):
            return
        problems: dict[str, list[str]] = {}
        type_id = nextech_id_text(row.get(TYPE_ID))
        purpose_id = nextech_id_text(row.get(PURPOSE_ID))
        if not type_id:
            problems[TYPE_ID] = ["An appointment type id is required."]
        elif not AppointmentType.objects.filter(nextech_id=type_id).exists():
            problems[TYPE_ID] = [f"No appointment type with id “{type_id}” was pulled from "
                                 "Nextech."]
        if purpose_id and not AppointmentPurpose.objects.filter(nextech_id=purpose_id).exists():
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
        # Spreadsheet programs leave empty rows at the end of a sheet.
        return self._blank(row)

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
    def after_export(self, queryset: Any, dataset: Any, **kwargs: Any) -> None:
        """Put the types nobody has mapped yet at the top, with an empty category to fill.

        Only for a whole-table export: a filtered admin export shows just what it matched.
        """
        if isinstance(queryset, QuerySet) and queryset.query.has_filters():
            return
        mapped = CategoryMapping.objects.filter(purpose__isnull=True).values("appointment_type")
        unmapped = AppointmentType.objects.filter(active=True).exclude(id__in=mapped)
        selected = kwargs.get("export_fields")
        for position, appointment_type in enumerate(unmapped.order_by("name")):
            placeholder = CategoryMapping(appointment_type=appointment_type, category="")
            dataset.insert(position, self.export_resource(placeholder, selected_fields=selected))
