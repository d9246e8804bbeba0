"""`kpi_report` against KPIs computed by hand for a tricky call set, live and from rollups."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kpi.models import RollupInterval, VisitRollup
from telephony.services import call_events_ingest
from tests.kpi import scenarios
from tests.kpi.factories import call_events
from tests.telephony.factories import FeedSourceFactory

pytestmark = pytest.mark.django_db
DAY = "2026-11-23"


@pytest.fixture
def tricky(db):
    source = FeedSourceFactory(name="pbx1")
    result = call_events_ingest(source=source, raw_events=scenarios.tricky_events())
    assert result.rejected == []
    return source


def report(*args: str, first: str = DAY, last: str = DAY) -> list[dict]:
    out = StringIO()
    call_command("kpi_report", "--from", first, "--to", last, *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def pick(row: dict, expected: dict) -> dict:
    return {key: row[key] for key in expected}


def test_report_by_queue_matches_the_hand_computed_figures(tricky):
    rows = {row["queue"]: row for row in report("--by", "queue")}
    assert pick(rows["sales"], scenarios.SALES) == scenarios.approx(scenarios.SALES)
    assert pick(rows["support"], scenarios.SUPPORT) == scenarios.approx(scenarios.SUPPORT)


def test_report_total_sums_every_queue_visit(tricky):
    (row,) = report()
    assert pick(row, scenarios.TOTAL) == scenarios.approx(scenarios.TOTAL)
    assert (row["from"], row["to"]) == (DAY, DAY)


def test_json_rows_carry_every_design_kpi_key(tricky):
    from kpi.definitions import KPI_KEYS

    (row,) = report()
    assert set(KPI_KEYS) <= set(row)


@pytest.mark.parametrize("by", ["total", "agent", "interval"])
def test_json_is_laid_out_as_json_dumps_with_indent_lays_it_out(tricky, by):
    out = StringIO()
    call_command("kpi_report", "--from", DAY, "--to", DAY, "--by", by, "--format", "json", stdout=out)
    assert out.getvalue() == json.dumps(json.loads(out.getvalue()), indent=2) + "\n"


def test_json_of_no_rows_is_an_empty_list(db):
    out = StringIO()
    call_command("kpi_report", "--from", DAY, "--to", DAY, "--by", "agent", "--format", "json", stdout=out)
    assert out.getvalue() == "[]\n"


def test_report_by_agent_counts_the_visits_each_agent_answered(tricky):
    rows = {row["agent"]: row for row in report("--by", "agent")}
    assert set(rows) == {"alice", "bob"}
    assert pick(rows["alice"], scenarios.ALICE) == scenarios.approx(scenarios.ALICE)
    assert pick(rows["bob"], scenarios.BOB) == scenarios.approx(scenarios.BOB)


def test_calls_belong_to_the_interval_they_were_queued_in(tricky):
    rows = report("--by", "interval")
    # Intervals with agents logged in but no calls are listed too, with zero offered.
    assert {row["interval"]: row["offered"] for row in rows if row["offered"]} == scenarios.INTERVALS


def test_a_call_queued_before_midnight_belongs_to_that_day(tricky):
    rows = report("--by", "day", last="2026-11-24")
    assert [(row["day"], row["offered"], row["answered"]) for row in rows] == [
        ("2026-11-23", 14, 9),
        ("2026-11-24", 0, 0),
    ]
    assert rows[1]["service_level"] is None


def test_rollups_give_the_same_report_as_the_raw_calls(tricky):
    before = {by: report("--by", by) for by in ("total", "queue", "agent", "day", "interval")}
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    assert VisitRollup.objects.filter(grain="interval").exists()
    assert VisitRollup.objects.filter(grain="day").exists()
    after = {by: report("--by", by) for by in ("total", "queue", "agent", "day", "interval")}
    assert after == before


def test_rerunning_the_rollup_gives_the_same_rows(tricky):
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    fields = ("grain", "period_start", "queue", "agent_code", "offered", "answered", "answered_hist")
    first = list(VisitRollup.objects.order_by(*fields[:4]).values_list(*fields))
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    assert list(VisitRollup.objects.order_by(*fields[:4]).values_list(*fields)) == first


def test_sl_threshold_flag_moves_calls_into_the_service_level(tricky):
    rows = {row["queue"]: row for row in report("--by", "queue", "--sl-threshold", "25")}
    assert rows["sales"]["service_level"] == pytest.approx(100 * 7 / 12, abs=0.01)  # c2 (25 s) now within


def test_short_abandon_flag_changes_short_abandons_and_both_rates(tricky):
    rows = {row["queue"]: row for row in report("--by", "queue", "--short-abandon", "6")}
    sales = rows["sales"]
    assert sales["short_abandoned"] == 2  # c12 (5 s) is short under S = 6
    assert sales["service_level"] == pytest.approx(100 * 6 / 11, abs=0.01)
    assert sales["abandon_rate"] == pytest.approx(100 * 1 / 11, abs=0.01)


def test_thresholds_apply_to_rolled_up_rows_too(tricky):
    live = report("--by", "queue", "--sl-threshold", "25", "--short-abandon", "6")
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    assert report("--by", "queue", "--sl-threshold", "25", "--short-abandon", "6") == live


def test_queue_flag_keeps_one_queue(tricky):
    (row,) = report("--queue", "support")
    assert pick(row, scenarios.SUPPORT) == scenarios.approx(scenarios.SUPPORT)


def test_no_calls_give_zero_counts_and_null_ratios(db):
    (row,) = report()
    assert (row["offered"], row["answered"], row["abandoned"]) == (0, 0, 0)
    assert row["service_level"] is None
    assert row["asa_s"] is None
    assert row["aht_s"] is None


def test_csv_has_a_header_and_one_line_per_row(tricky):
    out = StringIO()
    call_command("kpi_report", "--from", DAY, "--to", DAY, "--by", "queue", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["queue"] for row in rows] == ["sales", "support"]
    assert rows[0]["offered"] == "13"
    assert rows[1]["fcr"] == ""


def test_table_is_the_default_format(tricky):
    out = StringIO()
    call_command("kpi_report", "--from", DAY, "--to", DAY, "--by", "queue", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["queue", "offered", "answered"]
    assert lines[2].split()[:3] == ["sales", "13", "8"]
    assert "50.0 %" in lines[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", DAY], "not a date"),
        (["--from", DAY, "--to", "2026-11-01"], "before"),
        (["--from", DAY, "--to", DAY, "--queue", "nope"], "no queue"),
        (["--from", DAY, "--to", DAY, "--sl-threshold", "-1"], "between"),
        (["--from", DAY, "--to", DAY, "--team", "ghosts"], "no team"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("kpi_report", *args, stdout=StringIO())


def test_late_event_for_a_rolled_up_interval_makes_it_stale_and_the_report_stays_right(
    tricky, django_capture_on_commit_callbacks
):
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    assert not RollupInterval.objects.exclude(computed_generation=models_F("generation")).exists()
    late = call_events("c99", queued=300, abandoned=302)  # a short abandon at 09:05, sent days later
    with django_capture_on_commit_callbacks(execute=True):
        call_events_ingest(source=tricky, raw_events=late)
    stale = RollupInterval.objects.exclude(computed_generation=models_F("generation"))
    assert "2026-11-23 09:00" in {f"{row.start:%Y-%m-%d %H:%M}" for row in stale}
    (row,) = report()
    assert (row["offered"], row["short_abandoned"]) == (15, 2)
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    assert not RollupInterval.objects.exclude(computed_generation=models_F("generation")).exists()
    assert report() == [row]


def models_F(name: str):
    from django.db.models import F

    return F(name)


SAMPLE = Path(__file__).resolve().parents[1] / "telephony" / "sample_queue_log.txt"


def test_importing_the_same_queue_log_twice_gives_the_same_report(db):
    from telephony.queue_log import queue_log_import

    queue_log_import(path_or_lines=SAMPLE, source_name="asterisk")
    days = sorted({row.split("|")[0] for row in SAMPLE.read_text().splitlines() if row[:1].isdigit()})
    from datetime import UTC, datetime

    first = datetime.fromtimestamp(int(days[0]), tz=UTC).date().isoformat()
    last = datetime.fromtimestamp(int(days[-1]), tz=UTC).date().isoformat()
    once = report("--by", "queue", first=first, last=last)
    assert sum(row["offered"] for row in once) > 0
    queue_log_import(path_or_lines=SAMPLE, source_name="asterisk")
    assert report("--by", "queue", first=first, last=last) == once
