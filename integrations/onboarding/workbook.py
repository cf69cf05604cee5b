"""The category spreadsheet as a file, for the portal and the practice admin alike.

Written: a sheet named "Appointment categories" (one row per type and purpose) whose
Category column is a dropdown of the spec's categories, and a "Categories" sheet saying
what each one does at this practice. Read back: the named sheet (or the first), every
problem with the file itself said in a sentence (`SpreadsheetRefused`), never an
exception's name or a traceback.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

import tablib
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from integrations.categories import CATEGORY_LABELS, Category
from integrations.resources import CATEGORY, PURPOSE_ID, TYPE_ID
from integrations.selectors.categories import category_outcomes_read, practice_surgical

# Far above what a practice's sheet needs (a few hundred rows, a few dozen kB), far below
# what would hold a web worker: the file, what an xlsx unzips to (checked from the zip's
# directory before anything is unpacked) and its rows are capped.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
MAX_ROWS = 2_000
UPLOAD_LIMIT_TEXT = "Choose an .xlsx or .csv file of at most 2 MB."
TOO_MANY_ROWS_TEXT = (f"The file has more than {MAX_ROWS:,} rows; a category spreadsheet has "
                      "one per appointment type and purpose. Start from an exported "
                      "spreadsheet.")
SHEET_TITLE = "Appointment categories"
CATEGORIES_SHEET = "Categories"
REQUIRED_COLUMNS = (TYPE_ID, PURPOSE_ID, CATEGORY)
# Rows the client may add below the exported ones and still get the dropdown.
DROPDOWN_SPARE_ROWS = 200
COLUMN_WIDTHS = {TYPE_ID: 12, PURPOSE_ID: 10, CATEGORY: 26}


class SpreadsheetRefused(ValueError):
    """The file as a whole cannot be imported; the message says why, for the client."""


# Writing --------------------------------------------------------------------------------

def _categories_sheet(book: Workbook, outcomes: Mapping[Category, str]) -> str:
    """The list the dropdown offers, with what each category does; returns its range."""
    sheet = book.create_sheet(CATEGORIES_SHEET)
    sheet.append(["Category", "What an appointment of this category does"])
    for category, label in CATEGORY_LABELS.items():
        sheet.append([label, outcomes[category]])
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 110
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    return f"'{CATEGORIES_SHEET}'!$A$2:$A${len(CATEGORY_LABELS) + 1}"


def workbook_write(dataset: tablib.Dataset, *, outcomes: Mapping[Category, str]) -> bytes:
    """The export as an xlsx file. Cells are written as text or numbers, never formulas:
    the resource already quoted names that would read as one."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    headers = list(dataset.headers or ())
    sheet.append(headers)
    for row in dataset:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for position, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = COLUMN_WIDTHS.get(
            header, 24)
    choices = _categories_sheet(book, outcomes)
    if CATEGORY in headers:
        column = get_column_letter(headers.index(CATEGORY) + 1)
        dropdown = DataValidation(
            type="list", formula1=choices, allow_blank=True, showErrorMessage=True,
            errorTitle="Not a category",
            error="Choose one of the categories listed on the Categories sheet.",
            promptTitle="Category", showInputMessage=True,
            prompt="Leave empty to keep it waiting for review.")
        sheet.add_data_validation(dropdown)
        dropdown.add(f"{column}2:{column}{len(dataset) + 1 + DROPDOWN_SPARE_ROWS}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Reading --------------------------------------------------------------------------------

def _dataset(rows: list[list[Any]]) -> tablib.Dataset:
    """Header row first; every row padded or cut to the header's width."""
    if not rows:
        raise SpreadsheetRefused("The file is empty. Start from an exported spreadsheet.")
    headers = [str(h).strip() if h is not None else "" for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise SpreadsheetRefused(f"Columns missing from the first row: {', '.join(missing)}. "
                                 "Start from an exported spreadsheet.")
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for row in rows[1:]:
        dataset.append((list(row) + [None] * width)[:width])
    return dataset


NOT_XLSX_TEXT = ("The file could not be read as an Excel workbook (.xlsx). Save it from "
                 "Excel or Google Sheets as .xlsx, or start from an exported spreadsheet.")


def _capped(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """The rows, refused past MAX_ROWS (and the header) without reading any further."""
    kept = [list(row) for row in islice(rows, MAX_ROWS + 2)]
    if len(kept) > MAX_ROWS + 1:
        raise SpreadsheetRefused(TOO_MANY_ROWS_TEXT)
    return kept


def _unzipped_size_check(data: bytes) -> None:
    """Refuse a workbook that unzips to more than MAX_UNZIPPED_BYTES. The sizes come from
    the zip's directory; Python's zipfile never inflates a member past its stated size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetRefused(NOT_XLSX_TEXT) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise SpreadsheetRefused(
            f"The workbook unpacks to {unzipped / 1024 / 1024:,.0f} MB, more than a category "
            f"spreadsheet can hold ({MAX_UNZIPPED_BYTES // 1024 // 1024} MB). Start from an "
            "exported spreadsheet.")


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    _unzipped_size_check(data)
    try:
        # read_only: rows are parsed as they are iterated, not the whole sheet at once.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - zip, XML or openpyxl: the same to the client
        raise SpreadsheetRefused(NOT_XLSX_TEXT) from None
    try:
        sheet = book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]
        return _capped(sheet.iter_rows(values_only=True))
    except SpreadsheetRefused:
        raise
    except Exception:  # noqa: BLE001 - a sheet's XML that does not parse
        raise SpreadsheetRefused(NOT_XLSX_TEXT) from None
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpreadsheetRefused(
            "The file is not UTF-8 text. Save it as “CSV UTF-8”, or upload the .xlsx "
            "export instead.") from None
    try:
        return _capped(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise SpreadsheetRefused(f"The file could not be read as CSV ({error}).") from None


def sheet_read(data: bytes, format: str) -> tablib.Dataset:
    """The rows of an uploaded category spreadsheet; SpreadsheetRefused if it cannot be."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise SpreadsheetRefused(UPLOAD_LIMIT_TEXT)
    rows = _xlsx_rows(data) if format == "xlsx" else _csv_rows(data)
    return _dataset(rows)


# The formats the practice admin's import and export use ---------------------------------

class CategoryXLSX(XLSX):
    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        return sheet_read(in_stream, "xlsx")

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        return workbook_write(dataset, outcomes=category_outcomes_read(
            surgical=practice_surgical()))


class CategoryCSV(CSV):
    def create_dataset(self, in_stream: bytes | str, **kwargs: Any) -> tablib.Dataset:
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else in_stream
        return sheet_read(data, "csv")

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> str:
        # A BOM so that Excel opens accented names as UTF-8.
        return "\ufeff" + dataset.export("csv")

    def is_binary(self) -> bool:
        return True  # read as bytes: sheet_read decodes and says so when it cannot

    def get_read_mode(self) -> str:
        return "rb"
