"""The appointment category spreadsheet outside the admin: export it for the client, and
import it back all-or-nothing (the portal's category page calls these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.base_user import AbstractBaseUser
from import_export.results import Result

from integrations.onboarding.workbook import (
    CategoryCSV,
    CategoryXLSX,
    SpreadsheetRefused,
    sheet_read,
)
from integrations.resources import CategoryMappingResource

SpreadsheetFormat = Literal["xlsx", "csv"]
FORMATS: dict[str, type[CategoryXLSX] | type[CategoryCSV]] = {
    "xlsx": CategoryXLSX, "csv": CategoryCSV}
HEADER_ROWS = 1  # row numbers are the ones the client sees in the spreadsheet program


@dataclass(frozen=True)
class RowProblem:
    row: int  # as numbered in the spreadsheet program, the header being row 1
    messages: tuple[str, ...]

    def __str__(self) -> str:
        return f"Row {self.row}: {' '.join(self.messages)}"


@dataclass(frozen=True)
class SpreadsheetImportResult:
    """What the file holds (`new`, `updated`, `skipped` rows) and whether it was written."""

    dry_run: bool
    new: int = 0
    updated: int = 0
    skipped: int = 0  # blank lines
    waiting: int = 0  # rows with no category filled in: they stay waiting for review
    unchanged: int = 0  # rows already confirmed with that category: left as they were
    problems: tuple[RowProblem, ...] = ()
    file_problems: tuple[str, ...] = ()  # the file as a whole could not be read

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_problems

    @property
    def imported(self) -> bool:
        """True only when rows were written: never on a dry run or with any problem."""
        return self.ok and not self.dry_run


def category_spreadsheet_export(*, format: SpreadsheetFormat) -> bytes:
    """Every active type and purpose with its category, for the client to review and fill in."""
    if format not in FORMATS:
        raise ValueError(f"unsupported spreadsheet format {format!r}")
    data = FORMATS[format]().export_data(CategoryMappingResource().export())
    return data.encode("utf-8") if isinstance(data, str) else data


def _row_problems(result: Result) -> tuple[RowProblem, ...]:
    problems: list[RowProblem] = []
    for invalid in result.invalid_rows:
        messages: list[str] = []
        for column, errors in invalid.error_dict.items():
            for message in errors:
                messages.append(message if column == "__all__" else f"{column}: {message}")
        problems.append(RowProblem(row=invalid.number + HEADER_ROWS, messages=tuple(messages)))
    for number, errors in result.row_errors():
        # Unexpected failures (not validation): say which row, never the traceback.
        problems.append(RowProblem(row=number + HEADER_ROWS,
                                   messages=tuple(str(e.error) for e in errors)))
    return tuple(sorted(problems, key=lambda p: p.row))


def category_spreadsheet_import(*, file_bytes: bytes, format: SpreadsheetFormat,
                                user: AbstractBaseUser | None, dry_run: bool,
                                ) -> SpreadsheetImportResult:
    """Import the category spreadsheet: every row or none.

    Rows are written only when `dry_run` is False and no row has a problem; imported rows
    are marked imported and confirmed by `user` now.
    """
    try:
        dataset = sheet_read(file_bytes, format)
    except SpreadsheetRefused as refused:
        return SpreadsheetImportResult(dry_run=dry_run, file_problems=(str(refused),))
    resource = CategoryMappingResource()
    result = resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True,
        raise_errors=False, user=user)
    base = tuple(str(e.error) for e in result.base_errors)
    skipped = result.totals.get("skip", 0) - resource.left_waiting - resource.unchanged
    return SpreadsheetImportResult(
        dry_run=dry_run, new=result.totals.get("new", 0),
        updated=result.totals.get("update", 0), skipped=skipped,
        waiting=resource.left_waiting, unchanged=resource.unchanged,
        problems=_row_problems(result), file_problems=base)
