"""Cells of the CSV files the bot writes for admins to fill in and import again.

The questions in them come from anyone in Telegram, and a cell that begins with =, +, -, @,
a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets, which run
it when the admin opens the file (CSV injection: `=HYPERLINK(...)` and worse). Such a cell
is written behind an apostrophe, which spreadsheets take as "text, not a formula", and an
import takes the apostrophe off again, so the question goes back as it was asked.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def written(cell: str) -> str:
    """`cell` as a spreadsheet shows it without running it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def read(cell: str) -> str:
    """A cell as `written` wrote it, back as it was; any other cell unchanged."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
