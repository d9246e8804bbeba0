"""The forecast on synthetic seasonal history: exact weekday and intraday pattern, linear trend,
AHT per interval, the patience estimate, and the staffing plan built on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from agents.wfm.forecast import forecast, interval_history
from agents.wfm.shifts import shift_assign
from agents.wfm.staffing import coverage, staffing_plan
from tests.agents.factories import ShiftTemplateFactory
from tests.agents.wfm_data import PROFILE, TALK_S, WEEKDAY_BASE, fill, level
from tests.telephony.factories import QueueFactory

TODAY = date(2030, 3, 4)  # a Monday
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(db):
    queue = QueueFactory(name="sales")
    fill(queue=queue, today=TODAY)
    return queue


def test_history_is_grouped_per_local_day_and_interval(queue):
    history = interval_history(
        queue_ids=[queue.pk],
        first_day=TODAY - timedelta(days=7),
        last_day=TODAY - timedelta(days=1),
        interval_minutes=30,
    )
    monday = TODAY - timedelta(days=7)
    assert history.cells[(monday, 20)].offered == 3 * level(0, 1)
    assert history.cells[(monday, 18)].handled == level(0, 1)
    assert history.cells[(monday, 18)].handle_s == pytest.approx(level(0, 1) * (200 + 30))
    assert (TODAY - timedelta(days=1), 18) not in history.cells  # Sunday is closed


def test_same_weekday_with_trend_projects_the_next_week_exactly(queue):
    result = forecast(queue_ids=[queue.pk], day=TODAY, today=TODAY, interval_minutes=30)
    # Six Mondays with levels 4+5 … 4+0 growing one a week: next Monday is level 4+6 = 10.
    expected_level = WEEKDAY_BASE[0] + 6
    assert result.weeks_used == 6
    assert result.trend_per_week == pytest.approx(sum(PROFILE.values()))
    for interval in result.intervals:
        assert interval.calls == pytest.approx(PROFILE.get(interval.slot, 0) * expected_level, abs=1e-9)
    assert result.total_calls == pytest.approx(sum(PROFILE.values()) * expected_level)


def test_a_forecast_two_weeks_ahead_extends_the_trend(queue):
    result = forecast(
        queue_ids=[queue.pk], day=TODAY + timedelta(days=8), today=TODAY, interval_minutes=30
    )  # Tuesday
    assert result.total_calls == pytest.approx(sum(PROFILE.values()) * (WEEKDAY_BASE[1] + 7))


def test_closed_day_forecasts_no_calls(queue):
    assert forecast(queue_ids=[queue.pk], day=TODAY + timedelta(days=6), today=TODAY).total_calls == 0


def test_aht_follows_the_interval_and_leans_on_the_day_when_calls_are_few(queue):
    result = forecast(queue_ids=[queue.pk], day=TODAY, today=TODAY, interval_minutes=30)
    by_slot = {interval.slot: interval.aht_s for interval in result.intervals}
    # Handle time is talk + 30 s of after-call work; abandoned calls have none.
    handle = {slot: TALK_S[slot] + 30 for slot in PROFILE}
    mondays = [level(0, weeks_ago) for weeks_ago in range(1, 7)]
    handled = {slot: sum(PROFILE[slot] * n - (n if slot == 20 else 0) for n in mondays) for slot in PROFILE}
    # (every third call of the 10:00 interval is abandoned: PROFILE 3 per level, one of them)
    week_handled = sum(
        PROFILE[slot] * level(day, weeks) - (level(day, weeks) if slot == 20 else 0)
        for day in range(7)
        for weeks in range(1, 7)
        for slot in PROFILE
    )
    week_handle = sum(
        (PROFILE[slot] * level(day, weeks) - (level(day, weeks) if slot == 20 else 0)) * handle[slot]
        for day in range(7)
        for weeks in range(1, 7)
        for slot in PROFILE
    )
    overall = week_handle / week_handled
    day_handled = sum(handled.values())
    day_aht = (sum(handled[s] * handle[s] for s in PROFILE) + 10 * overall) / (day_handled + 10)
    for slot in PROFILE:
        expected = (handled[slot] * handle[slot] + 10 * day_aht) / (handled[slot] + 10)
        assert by_slot[slot] == pytest.approx(expected, rel=1e-12)
        # Many calls: close to the interval's own handle time.
        assert abs(by_slot[slot] - handle[slot]) < 0.1 * handle[slot]
    assert by_slot[5] == pytest.approx(day_aht)  # an empty interval gets the weekday's AHT


def test_fifteen_minute_intervals_split_the_half_hours(queue):
    result = forecast(queue_ids=[queue.pk], day=TODAY, today=TODAY, interval_minutes=15)
    by_slot = {interval.slot: interval.calls for interval in result.intervals}
    assert len(result.intervals) == 96
    # All the synthetic calls of a half hour start in its first 15 minutes (20 s apart, at most 30 of them).
    assert by_slot[36] == pytest.approx(PROFILE[18] * 10) and by_slot[37] == 0


def test_patience_is_total_wait_over_abandons(queue):
    result = forecast(queue_ids=[queue.pk], day=TODAY, today=TODAY)
    history = interval_history(
        queue_ids=[queue.pk],
        first_day=TODAY - timedelta(days=56),
        last_day=TODAY - timedelta(days=1),
        interval_minutes=30,
    )
    waited = sum(cell.wait_s for cell in history.cells.values())
    abandons = sum(cell.abandoned for cell in history.cells.values())
    assert abandons > 30
    assert result.patience_s == pytest.approx(waited / abandons)


def test_forecast_uses_the_centers_zone(settings, db):
    settings.TIME_ZONE = "America/New_York"
    queue = QueueFactory(name="ny")
    fill(queue=queue, today=TODAY, zone="America/New_York")
    result = forecast(queue_ids=[queue.pk], day=TODAY, today=TODAY, interval_minutes=30)
    assert {i.slot for i in result.intervals if i.calls} == set(PROFILE)


# --- the staffing plan -------------------------------------------------------------------------------
def test_plan_needs_agents_where_the_calls_are_and_counts_the_scheduled(queue, supervisor, agent):
    early = ShiftTemplateFactory(name="Early", start_time=time(8, 0), length_minutes=510)
    shift_assign(actor=supervisor, agent_id=agent.pk, day=TODAY, template_id=early.pk)
    plan = staffing_plan(
        queue=queue, day=TODAY, today=TODAY, interval_minutes=30, shrinkage=0.2, model="erlang_c"
    )
    by_slot = dict(enumerate(plan.intervals))
    assert by_slot[3].needed == 0 and by_slot[20].needed > by_slot[18].needed > 0
    # The agent works 08:00-10:00, breaks 10:00-10:15: half of the 10:00 interval is covered.
    assert by_slot[16].scheduled == 1 and by_slot[20].scheduled == pytest.approx(0.5)
    assert by_slot[20].short and plan.short_intervals >= 4
    assert plan.model == "Erlang C"


def test_auto_model_uses_erlang_a_when_the_history_knows_the_patience(queue):
    plan = staffing_plan(queue=queue, day=TODAY, today=TODAY)
    assert plan.patience_s and plan.model.startswith("Erlang A")


def test_coverage_counts_part_of_an_interval():
    from datetime import UTC, datetime

    class Shift:
        starts_at = datetime(2030, 1, 1, 8, 15, tzinfo=UTC)
        ends_at = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
        breaks = [{"kind": "break", "offset_minutes": 15, "minutes": 15}]

    start = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    # Works 08:15-08:30 (half of the 08:00 interval), breaks 08:30-08:45, works 08:45-09:00.
    assert coverage([Shift()], start, 30, 4) == [0.5, 0.5, 0.0, 0.0]


# --- SQLite gives the same history as PostgreSQL -----------------------------------------------------
SQLITE_SCRIPT = """
import json, os, sys
from datetime import date, timedelta
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.agents.wfm_data import fill
from agents.wfm.forecast import interval_history
from telephony.models import Queue
queue = Queue.objects.create(name="sales")
today = date.fromisoformat(sys.argv[1])
fill(queue=queue, today=today)
for minutes in (15, 30):
    history = interval_history(
        queue_ids=[queue.pk],
        first_day=today - timedelta(days=42),
        last_day=today - timedelta(days=1),
        interval_minutes=minutes,
    )
    rows = {
        f"{day}/{slot}": [
            c.offered, c.answered, c.abandoned, c.handled, round(c.handle_s, 3), round(c.wait_s, 3)
        ]
        for (day, slot), c in sorted(history.cells.items())
    }
    print(json.dumps(rows))
"""


def test_sqlite_groups_the_history_like_postgresql(queue, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "VAR_DIR": str(tmp_path),
            "DEBUG": "true",
            "TIME_ZONE": "UTC",
            "DJANGO_SETTINGS_MODULE": "callcenter.settings",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT, TODAY.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sqlite_15, sqlite_30 = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    for minutes, expected in ((15, sqlite_15), (30, sqlite_30)):
        history = interval_history(
            queue_ids=[queue.pk],
            first_day=TODAY - timedelta(days=42),
            last_day=TODAY - timedelta(days=1),
            interval_minutes=minutes,
        )
        mine = {
            f"{day}/{slot}": [
                c.offered,
                c.answered,
                c.abandoned,
                c.handled,
                round(c.handle_s, 6),
                round(c.wait_s, 6),
            ]
            for (day, slot), c in sorted(history.cells.items())
        }
        assert mine == expected
