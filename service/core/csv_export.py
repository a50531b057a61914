"""Every CSV the product writes (the gap report, the KPI series) goes through `csv_text`, so that
no cell reaches a spreadsheet as a formula.

Team names, role names and skill labels come from customers and from third-party catalog files; a
cell such as `=HYPERLINK("http://evil.example","x")` would be a live formula in the L&D team's
Excel, LibreOffice or Google Sheets. OWASP's rule (CSV Injection): a cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return gets a leading single quote, which spreadsheets show as text.

Only text is quoted so. Numbers the report computed (int and float: counts, gaps, rates) are written
as they are: a negative number is a value, not a formula (`-0.5` is no formula in any spreadsheet),
and the numeric columns stay numbers for whoever reads them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def spreadsheet_safe(value: Cell) -> Cell:
    """The cell as it may be written: text that a spreadsheet would take for a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """RFC 4180 CSV (CRLF line ends), every cell made spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(name) for name in header])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return out.getvalue()
