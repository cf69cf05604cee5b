"""The category spreadsheet as the client handles it: exported, edited in a spreadsheet
program, imported back all-or-nothing."""

from __future__ import annotations

import csv
import io
from io import BytesIO

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from integrations.models import CategoryMapping
from integrations.nextech import NextechClient
from integrations.nextech.sandbox import PracticeState
from integrations.nextech.sandbox.actions import catalog_add
from integrations.onboarding import (
    RowProblem,
    catalog_pull,
    category_spreadsheet_export,
    category_spreadsheet_import,
)
from tests.onboarding.sheets import HEADERS, xlsx_build, xlsx_edit, xlsx_rows

pytestmark = pytest.mark.usefixtures("in_practice")


@pytest.fixture
def catalog(in_practice: object, nextech: NextechClient, nextech_practice: PracticeState,
            ) -> None:
    """The demo catalog plus a "Follow Up" type whose name suggests nothing."""
    catalog_add(nextech_practice, kind="appointment_types", id="10", name="Follow Up")
    catalog_pull(client=nextech)


@pytest.fixture
def dana() -> User:
    return User.objects.create_user("dana.ops", "dana@example.com")


def _categories() -> dict[tuple[str, str | None], tuple[str, str]]:
    return {(m.appointment_type.nextech_id, m.purpose.nextech_id if m.purpose else None):
            (m.get_category_display(), m.source)
            for m in CategoryMapping.objects.select_related("appointment_type", "purpose")}


@pytest.mark.usefixtures("catalog")
def test_the_export_lists_every_type_and_purpose_with_suggestions_beside_the_category(
        ) -> None:
    rows = xlsx_rows(category_spreadsheet_export(format="xlsx"))

    assert rows[0] == HEADERS
    assert rows[1] == ["10", "Follow Up", "", "", "", "", "Not mapped yet", "", ""]
    # A suggestion is not a decision: the Category cell is left for the client to fill.
    assert [r[1:7] for r in rows[2:5]] == [
        ["Block", "", "", "", "Block", "Suggested from the name"],
        ["Block", "82", "Lunch", "", "", "Follows the type"],  # purposes by name
        ["Block", "81", "Staff Meeting", "", "", "Follows the type"],
    ]
    assert len(rows) == 1 + 9 + 21  # the header, every type, every purpose


@pytest.mark.usefixtures("catalog")
def test_an_edited_export_previews_without_writing_then_imports_as_confirmed(
        dana: User) -> None:
    edited = xlsx_edit(
        category_spreadsheet_export(format="xlsx"),
        {("Follow Up", ""): "Post-Op Appointment",
         ("Skin Treatment", ""): "non-surgical consult"},  # any case and punctuation
        added=[["5", "", "52", "", "Surgical Appointment"]])  # a purpose-specific row
    before = _categories()

    preview = category_spreadsheet_import(file_bytes=edited, format="xlsx", user=dana,
                                          dry_run=True)

    assert preview.ok and not preview.imported
    assert (preview.new, preview.updated) == (2, 1)
    assert preview.waiting == 9 + 21 - 2  # every row still without a category
    assert _categories() == before  # a preview writes nothing

    done = category_spreadsheet_import(file_bytes=edited, format="xlsx", user=dana,
                                       dry_run=False)

    assert done.imported
    after = _categories()
    assert after[("10", None)] == ("Post-Op Appointment", "imported")
    assert after[("6", None)] == ("Non-Surgical Consult", "imported")
    assert after[("5", "52")] == ("Surgical Appointment", "imported")
    assert after[("1", None)] == ("Surgical Consult", "suggested")  # returned empty: waits
    imported = CategoryMapping.objects.filter(source="imported")
    assert set(imported.values_list("confirmed_by", flat=True)) == {"dana.ops"}
    assert not imported.filter(confirmed_at__isnull=True).exists()
    # The export now shows who confirmed each row.
    row = next(r for r in xlsx_rows(category_spreadsheet_export(format="xlsx"))
               if r[1] == "Follow Up")
    assert row[4:8] == ["Post-Op Appointment", "", "Imported from the spreadsheet", "dana.ops"]


@pytest.mark.usefixtures("catalog")
def test_uploading_an_export_unchanged_confirms_nothing_and_keeps_who_confirmed(
        dana: User) -> None:
    first = xlsx_edit(category_spreadsheet_export(format="xlsx"),
                      {("Follow Up", ""): "Block"})
    assert category_spreadsheet_import(file_bytes=first, format="xlsx", user=dana,
                                       dry_run=False).imported
    before = _categories()
    confirmed_at = CategoryMapping.objects.get(appointment_type__nextech_id="10").confirmed_at
    erin = User.objects.create_user("erin.ops", "erin@example.com")

    again = category_spreadsheet_import(file_bytes=category_spreadsheet_export(format="xlsx"),
                                        format="xlsx", user=erin, dry_run=False)

    assert again.ok and (again.new, again.updated) == (0, 0)
    assert (again.unchanged, again.waiting) == (1, 9 + 21 - 1)
    assert _categories() == before  # suggestions still suggestions
    follow_up = CategoryMapping.objects.get(appointment_type__nextech_id="10")
    assert (follow_up.confirmed_by, follow_up.confirmed_at) == ("dana.ops", confirmed_at)


@pytest.mark.usefixtures("catalog")
def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(dana: User) -> None:
    before = _categories()
    sheet = xlsx_build([
        ["10", "Follow Up", "", "", "Post-Op Appointment"],
        ["6", "Skin Treatment", "", "", "Surgical Consul"],
        ["5", "Injectables", "52", "Dermal Filler", "Surgical Appointment"],
    ])

    result = category_spreadsheet_import(file_bytes=sheet, format="xlsx", user=dana,
                                         dry_run=False)

    assert not result.imported
    assert [p.row for p in result.problems] == [3]
    message = str(result.problems[0])
    assert message.startswith("Row 3: Category: “Surgical Consul” is not a category.")
    assert "Surgical Consult, Surgical Appointment, Non-Surgical Consult" in message
    assert _categories() == before  # neither the good rows before nor after it


@pytest.mark.usefixtures("catalog")
def test_every_kind_of_bad_row_is_reported_with_its_row_number(dana: User) -> None:
    sheet = xlsx_build([
        ["99", "Mystery", "", "", "Block"],
        ["5", "Injectables", "999", "", "Block"],
        ["5", "Injectables", "", "", ""],  # no category: not reviewed, skipped
        ["", "", "", "", "Block"],
        ["8", "Block", "", "", "Block"],
        [8, "Block again", None, "", "Post-Op Appointment"],  # typed as a number
    ])

    result = category_spreadsheet_import(file_bytes=sheet, format="xlsx", user=dana,
                                         dry_run=True)

    assert [str(p) for p in result.problems] == [
        "Row 2: Appointment type id: No appointment type with id “99” was pulled from Nextech.",
        "Row 3: Purpose id: No appointment purpose with id “999” was pulled from Nextech.",
        "Row 5: Appointment type id: An appointment type id is required.",
        "Row 7: Appointment type id: This type and purpose are already on row 6.",
    ]


@pytest.mark.usefixtures("catalog")
def test_empty_rows_left_at_the_end_of_a_sheet_are_ignored(dana: User) -> None:
    sheet = xlsx_build([["10", "Follow Up", "", "", "Block"], ["", "", "", "", ""],
                        ["77", "Gone since the export", "", "", ""],  # nothing to decide
                        [None, None, None, None, None]])

    result = category_spreadsheet_import(file_bytes=sheet, format="xlsx", user=dana,
                                         dry_run=False)

    assert result.imported and (result.new, result.skipped, result.waiting) == (1, 2, 1)
    assert _categories()[("10", None)] == ("Block", "imported")


@pytest.mark.usefixtures("catalog")
def test_a_sheet_without_the_id_columns_is_refused_as_a_whole(dana: User) -> None:
    sheet = xlsx_build([["Follow Up", "Block"]], headers=["Appointment type", "Category"])

    result = category_spreadsheet_import(file_bytes=sheet, format="xlsx", user=dana,
                                         dry_run=False)

    assert not result.imported
    assert result.file_problems == (
        "Columns missing from the first row: Appointment type id, Purpose id. "
        "Start from an exported spreadsheet.",)
    garbage = category_spreadsheet_import(file_bytes=b"not a workbook", format="xlsx",
                                          user=dana, dry_run=True)
    assert garbage.file_problems == (
        "The file could not be read as an Excel workbook (.xlsx). Save it from Excel or "
        "Google Sheets as .xlsx, or start from an exported spreadsheet.",)


@pytest.mark.usefixtures("catalog")
def test_the_workbook_has_a_named_sheet_a_category_dropdown_and_what_each_category_does(
        ) -> None:
    book = load_workbook(BytesIO(category_spreadsheet_export(format="xlsx")))

    assert book.sheetnames == ["Appointment categories", "Categories"]
    sheet = book["Appointment categories"]
    assert [c.value for c in sheet[1]][:6] == HEADERS[:6]
    assert sheet.freeze_panes == "A2"
    (dropdown,) = sheet.data_validations.dataValidation
    assert (dropdown.type, dropdown.formula1) == ("list", "'Categories'!$A$2:$A$9")
    assert str(dropdown.sqref).startswith("E2:E")  # the Category column, and spare rows
    assert dropdown.showErrorMessage
    listed = {row[0]: row[1] for row in book["Categories"].iter_rows(min_row=2,
                                                                     values_only=True)}
    assert list(listed) == ["Surgical Consult", "Surgical Appointment", "Non-Surgical Consult",
                            "Non-Surgical Appointment", "Block", "Pre-Op Appointment",
                            "Post-Op Appointment", "Online Appointment"]
    assert listed["Surgical Appointment"] == (
        "Surgical pipeline: Surgery Scheduled when booked, Surgery Complete when fulfilled, "
        "Cancelled / No-Show when cancelled or a no-show.")
    assert listed["Block"] == "Never moves the opportunity."


def test_csv_round_trips_and_names_that_look_like_formulas_stay_text(
        nextech: NextechClient, nextech_practice: PracticeState, dana: User) -> None:
    catalog_add(nextech_practice, kind="appointment_types", id="11",
                name='=HYPERLINK("http://evil.example","Botox")')
    catalog_add(nextech_practice, kind="appointment_types", id="12", name="@SUM(A1) Facial")
    catalog_pull(client=nextech)

    data = category_spreadsheet_export(format="csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    names = {r[0]: r[1] for r in rows[1:]}
    assert names["11"] == '\'=HYPERLINK("http://evil.example","Botox")'
    assert names["12"] == "'@SUM(A1) Facial"
    sheet = load_workbook(BytesIO(category_spreadsheet_export(format="xlsx"))).active
    assert sheet is not None
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula

    rows[1:] = [r if r[0] != "12" else [*r[:4], "Surgical Consult", *r[5:]] for r in rows[1:]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    result = category_spreadsheet_import(file_bytes=out.getvalue().encode(), format="csv",
                                         user=dana, dry_run=False)

    assert result.imported, result.problems
    assert _categories()[("12", None)] == ("Surgical Consult", "imported")


def test_row_problem_reads_as_a_sentence() -> None:
    assert str(RowProblem(row=4, messages=("A.", "B."))) == "Row 4: A. B."
