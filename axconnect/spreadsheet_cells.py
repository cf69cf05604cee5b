"""Cells that are safe to open in a spreadsheet program.

Excel, LibreOffice and Google Sheets run a cell that starts with one of FORMULA_STARTS as a
formula (CSV injection), and names in our exports come from outside: a practice's EMR, an
agency's location names. Every export quotes such text, csv and xlsx alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: Any) -> str:
    """The value as text, with a leading quote if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def rows_safe(rows: Iterable[Iterable[Any]]) -> list[list[str]]:
    return [[cell_safe(value) for value in row] for row in rows]
