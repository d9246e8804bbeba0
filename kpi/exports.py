"""Report rows as JSON-ready dicts, CSV and a plain-text table (kpi_report, CSV export, e-mail)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from callcenter.csvsafe import csv_text
from callcenter.formatting import EMPTY, format_duration, format_percent
from kpi.definitions import KPI_BY_KEY, KPI_KEYS
from kpi.selectors import ReportRow

GROUP_KEYS = {
    "total": ("from", "to"),
    "queue": ("queue",),
    "agent": ("agent",),
    "team": ("team",),
    "day": ("day",),
    "week": ("week",),
    "interval": ("interval",),
}


def row_json(row: ReportRow) -> dict[str, Any]:
    """The group key(s) then every KPI key of DESIGN §3; fractions rounded to 2 decimals."""
    # Inline rather than a helper per value: 8,000 rows of 25 keys in a month's report by agent.
    return {key: round(v, 2) if isinstance(v, float) else v for key, v in row.as_dict().items()}


_ROW_ENCODER = json.JSONEncoder(separators=(",\n    ", ": "))


def rows_json(rows: Sequence[ReportRow]) -> str:
    """`json.dumps([row_json(row) ...], indent=2)`, character for character, in a third of the
    time: with `indent` the json module encodes in pure Python; here its C encoder writes each row,
    the item separator laying out the lines. (A row's values are scalars: its group keys and KPIs.)"""
    if not rows:
        return "[]"
    return (
        "[\n"
        + ",\n".join("  {\n    " + _ROW_ENCODER.encode(row_json(row))[1:-1] + "\n  }" for row in rows)
        + "\n]"
    )


def rows_csv(rows: Sequence[ReportRow], by: str) -> str:
    """The group key(s) then every KPI key, one line per row; names that start like a spreadsheet
    formula (a queue called `=HYPERLINK(…)` from the feed) are written as text (callcenter.csvsafe)."""
    keys = (*GROUP_KEYS[by], *KPI_KEYS)
    values = (row_json(row) for row in rows)
    return csv_text(keys, ([row[key] for key in keys] for row in values))


def kpi_text(key: str, value: Any) -> str:
    """A KPI value for people: `87.5 %`, `4m 12s`, `+12`, `42`; None is an em dash."""
    if value is None:
        return EMPTY
    unit = KPI_BY_KEY[key].unit if key in KPI_BY_KEY else "count"
    if unit == "percent":
        return format_percent(value)
    if unit == "seconds":
        return format_duration(value)
    if unit == "score":
        return f"{value:+.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


TABLE_HEADERS = {
    "offered": "offered",
    "answered": "answered",
    "abandoned": "aband.",
    "short_abandoned": "short",
    "timed_out": "t/out",
    "service_level": "SL",
    "abandon_rate": "aband.%",
    "asa_s": "ASA",
    "avg_wait_s": "avg wait",
    "max_wait_s": "max wait",
    "aht_s": "AHT",
    "avg_talk_s": "talk",
    "avg_hold_s": "hold",
    "avg_acw_s": "wrap",
    "fcr": "FCR",
    "csat": "CSAT",
    "nps": "NPS",
    "occupancy": "occup.",
    "adherence": "adher.",
    "qa_score": "QA",
}


def rows_table(rows: Sequence[ReportRow], by: str) -> str:
    """A fixed-width table with one line per row."""
    keys = GROUP_KEYS[by]
    header = [" ".join(keys) if by == "total" else keys[0], *TABLE_HEADERS.values()]
    lines = [
        [" … ".join(str(row.key[k]) for k in keys), *(kpi_text(k, row.kpis[k]) for k in KPI_KEYS)]
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    return (
        "\n".join([line(header), line(["-" * w for w in widths]), *(line(cells) for cells in lines)]) + "\n"
    )
