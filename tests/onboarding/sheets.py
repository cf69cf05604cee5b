"""Real spreadsheet files for the tests, written and read with openpyxl."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook

HEADERS = ["Appointment type id", "Appointment type", "Purpose id", "Purpose", "Category",
           "Suggested category", "Status", "Confirmed by", "Confirmed at"]


def xlsx_build(rows: list[list[Any]], *, headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers or HEADERS)
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_rows(data: bytes) -> list[list[Any]]:
    """Every row including the header, as the client's spreadsheet program shows them."""
    sheet = load_workbook(BytesIO(data)).active
    assert sheet is not None
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def xlsx_edit(data: bytes, edits: dict[tuple[str, str], str],
              added: list[list[Any]] = ()) -> bytes:  # type: ignore[assignment]
    """Set the Category of rows found by (type name, purpose name); append rows."""
    book = load_workbook(BytesIO(data))
    sheet = book.active
    assert sheet is not None
    for row in sheet.iter_rows(min_row=2):
        key = (str(row[1].value or ""), str(row[3].value or ""))
        if key in edits:
            row[4].value = edits.pop(key)
    assert not edits, f"rows not found in the export: {edits}"
    for values in added:
        sheet.append(values)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
