"""Agency staff in the practice admin (the practice's host): export the category
spreadsheet, upload it back, read the preview, confirm."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from integrations.models import AppointmentType, CategoryMapping
from integrations.nextech import NextechClient
from integrations.nextech.sandbox import PracticeState
from integrations.nextech.sandbox.actions import catalog_add
from integrations.onboarding import catalog_pull
from integrations.resources import CategoryMappingResource
from tests.onboarding.sheets import HEADERS, xlsx_build, xlsx_edit, xlsx_rows
from tests.support.staff import staff_login

BASE = "/admin/integrations/categorymapping"
XLSX_FORMAT = "0"  # position in CategoryMappingAdmin.import_formats / export_formats


@pytest.fixture
def catalog(in_practice: object, nextech: NextechClient, nextech_practice: PracticeState) -> None:
    catalog_add(nextech_practice, kind="appointment_types", id="10", name="Follow Up")
    catalog_pull(client=nextech)


@pytest.fixture
def staff(catalog: None) -> Client:
    user = User.objects.create_superuser("sam.agency", "sam@example.com", "correct horse 42")
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, user)
    return client


def _upload(staff: Client, data: bytes) -> str:
    response = staff.post(f"{BASE}/import/", {
        "resource": "0", "format": XLSX_FORMAT,
        "import_file": SimpleUploadedFile("categories.xlsx", data)})
    assert response.status_code == 200
    return response.content.decode()


def _sources() -> set[str]:
    return set(CategoryMapping.objects.values_list("source", flat=True))


def test_staff_export_the_spreadsheet_as_xlsx(staff: Client) -> None:
    changelist = staff.get(f"{BASE}/").content.decode()
    assert f"{BASE}/import/" in changelist and f"{BASE}/export/" in changelist
    assert staff.get(f"{BASE}/export/").status_code == 200
    columns = {f"categorymappingresource_{name}": "on"
               for name in CategoryMappingResource().get_export_order()}

    response = staff.post(f"{BASE}/export/", {"format": XLSX_FORMAT, "resource": "0", **columns})

    assert response.status_code == 200
    assert ".xlsx" in response["Content-Disposition"]
    rows = xlsx_rows(response.content)
    assert rows[0] == HEADERS
    assert rows[1][:2] == ["10", "Follow Up"] and rows[1][4] == ""
    assert len(rows) == 1 + 9 + 21  # every type and every purpose


def test_a_bad_row_is_shown_with_its_row_number_and_nothing_can_be_confirmed(
        staff: Client) -> None:
    page = _upload(staff, xlsx_build([
        ["10", "Follow Up", "", "", "Post-Op Appointment"],
        ["6", "Skin Treatment", "", "", "Surgical Consul"],
        ["77", "Gone", "", "", "Block"],
    ]))

    assert "Nothing will be imported: 2 rows to fix" in page
    assert re.search(r"Row 3</td>.*?“Surgical Consul” is not a category", page, re.S)
    assert re.search(r"Row 4</td>.*?No appointment type with id “77”", page, re.S)
    assert "Confirm import" not in page
    assert _sources() == {"suggested"}


def test_a_good_file_is_previewed_then_imported_on_confirm(staff: Client) -> None:
    exported = staff.post(f"{BASE}/export/", {
        "format": XLSX_FORMAT, "resource": "0",
        **{f"categorymappingresource_{n}": "on"
           for n in CategoryMappingResource().get_export_order()}}).content
    edited = xlsx_edit(exported, {("Follow Up", ""): "Non-Surgical Appointment"})

    page = _upload(staff, edited)

    assert "Confirm import" in page and "Preview" in page
    assert _sources() == {"suggested"}  # the preview wrote nothing
    confirm = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    response = staff.post(f"{BASE}/process_import/", {
        key: confirm[key] for key in ("import_file_name", "original_file_name", "format",
                                      "resource") if key in confirm})

    assert response.status_code == 302
    assert _sources() == {"imported", "suggested"}  # only what was filled in is confirmed
    follow_up = CategoryMapping.objects.get(appointment_type__nextech_id="10")
    assert (follow_up.category, follow_up.confirmed_by) == ("non_surgical_appointment",
                                                            "sam.agency")


def test_a_file_that_went_stale_after_its_preview_imports_nothing_on_confirm(
        staff: Client) -> None:
    page = _upload(staff, xlsx_build([
        ["1", "Surgical Consult", "", "", "Surgical Consult"],
        ["10", "Follow Up", "", "", "Block"],
    ]))
    confirm = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    AppointmentType.objects.filter(nextech_id="10").delete()  # gone before the confirm

    response = staff.post(f"{BASE}/process_import/", {
        key: confirm[key] for key in ("import_file_name", "original_file_name", "format",
                                      "resource") if key in confirm}, follow=True)

    assert "Nothing was imported" in response.content.decode()
    assert _sources() == {"suggested"}  # row 2 was valid but is not written alone


@pytest.mark.parametrize(("data", "says"), [
    (b"PK\x03\x04 this is no workbook", "The file could not be read as an Excel workbook"),
    (xlsx_build([["Follow Up", "Block"]], headers=["Appointment type", "Category"]),
     "Columns missing from the first row: Appointment type id, Purpose id."),
])
def test_a_file_that_cannot_be_read_is_refused_in_a_sentence(staff: Client, data: bytes,
                                                             says: str) -> None:
    page = _upload(staff, data)

    assert says in page
    assert "encountered" not in page and "Traceback" not in page and "BadZipFile" not in page
    assert "Confirm import" not in page
    assert _sources() == {"suggested"}


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(staff: Client) -> None:
    page = _upload(staff, b"x" * (2 * 1024 * 1024 + 1))

    assert "Choose an .xlsx or .csv file of at most 2 MB." in page
