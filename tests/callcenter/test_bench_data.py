"""`manage.py bench_data` (the benchmark data set) and the table of bench/run_all.py."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

SMALL = ["--customers", "300", "--tickets", "200", "--calls", "2000", "--days", "3", "--force"]


def _count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.fixture
def bench_data(transactional_db):
    """VACUUM cannot run inside the test transaction: these tests commit, and the tables are flushed."""
    call_command("bench_data", *SMALL, stdout=io.StringIO())


def test_it_makes_the_sizes_asked_for(bench_data):
    assert _count("SELECT count(*) FROM tickets_customer") == 300
    assert _count("SELECT count(*) FROM tickets_ticket") == 200
    assert _count("SELECT count(*) FROM telephony_call") == 2000


def test_every_customer_has_a_phone_and_an_address_and_some_have_several(bench_data):
    assert (
        _count(
            "SELECT count(*) FROM tickets_customer c WHERE NOT EXISTS"
            " (SELECT 1 FROM tickets_customerphone p WHERE p.customer_id = c.id)"
        )
        == 0
    )
    assert (
        _count(
            "SELECT count(*) FROM tickets_customer c WHERE NOT EXISTS"
            " (SELECT 1 FROM tickets_customeremail e WHERE e.customer_id = c.id)"
        )
        == 0
    )
    assert _count("SELECT count(*) FROM tickets_customerphone") > 300
    assert _count("SELECT count(*) FROM tickets_customeremail") > 300


def test_tickets_spread_over_statuses_priorities_and_teams(bench_data):
    assert _count("SELECT count(DISTINCT status) FROM tickets_ticket") >= 3
    assert _count("SELECT count(DISTINCT priority) FROM tickets_ticket") == 4
    assert _count("SELECT count(DISTINCT team_id) FROM tickets_ticket") == 5


def test_inbound_calls_have_queue_visits_and_transfers_a_second_one(bench_data):
    assert (
        _count(
            "SELECT count(*) FROM telephony_call c WHERE c.direction = 'inbound' AND NOT EXISTS"
            " (SELECT 1 FROM telephony_queuevisit v WHERE v.call_id = c.id)"
        )
        == 0
    )
    assert _count("SELECT count(*) FROM telephony_call WHERE transfers = 1") == _count(
        "SELECT count(*) FROM telephony_queuevisit WHERE seq = 2"
    )
    assert _count("SELECT count(DISTINCT queue_id) FROM telephony_queuevisit") == 8
    assert _count("SELECT count(DISTINCT agent_id) FROM telephony_call") > 100
    # The last 3 days, nothing in the future.
    assert _count("SELECT count(*) FROM telephony_call WHERE queued_at > now()") == 0
    assert (
        _count("SELECT count(*) FROM telephony_call WHERE offered_at < now() - interval '3 days 1 hour'") == 0
    )


def test_the_indexes_dropped_for_the_load_are_back(bench_data):
    assert _count("SELECT count(*) FROM pg_indexes WHERE indexname = 'customer_name_trgm'") == 1
    assert _count("SELECT count(*) FROM pg_indexes WHERE indexname = 'call_queued_idx'") == 1
    assert _count("SELECT count(*) FROM pg_indexes WHERE indexname = 'visit_queue_idx'") == 1


def test_a_rerun_skips_what_is_there(bench_data):
    out = io.StringIO()
    call_command("bench_data", *SMALL, stdout=out)
    assert _count("SELECT count(*) FROM telephony_call") == 2000
    assert _count("SELECT count(*) FROM tickets_customer") == 300
    assert out.getvalue().count("already there, skipped") == 3
    assert "VACUUM" not in out.getvalue()


def test_it_refuses_a_database_that_is_not_for_benchmarks(db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "callcenter")
    with pytest.raises(CommandError, match="does not look like a benchmark database"):
        call_command("bench_data", "--customers", "1", stdout=io.StringIO())
    assert _count("SELECT count(*) FROM tickets_customer") == 0


def test_the_runner_table_says_met_and_missed_with_the_median(capsys):
    from bench import run_all

    values = {"ingest_events_per_s": [4000.0, 6000.0, 7000.0], "rollup_day_s": [31.0, 40.0, 29.0]}
    run_all.print_table(values, {}, 3, [1.0, 2.0], [], 60)
    lines = {line.split("  ")[0]: line for line in capsys.readouterr().out.splitlines()}
    ingest = lines["event ingest, HTTP API, batches of 500"]
    assert "6,000" in ingest and " met " in ingest
    rollup = lines["nightly rollup of a day of 1 M calls"]
    assert "31.0" in rollup and "MISSED" in rollup
