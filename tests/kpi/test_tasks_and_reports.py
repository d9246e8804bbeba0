"""Beat tasks on a real worker, the daily e-mail report, team reports, late presence, FCR re-checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db.models import F

from callcenter.celery import app
from kpi.models import DailyReportRun, RollupDay, RollupInterval
from kpi.selectors import ReportQuery, agent_numbers, kpi_report
from kpi.services.reports import daily_report_recipients, daily_report_send, daily_report_send_due
from kpi.services.rollups import rollup_compute, rollup_events_note, rollup_fcr_recheck
from kpi.tasks import rollup_days_task, rollup_intervals_task, rollup_stale_task
from telephony.services import call_events_ingest
from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.kpi import scenarios
from tests.kpi.factories import ReportSubscriptionFactory, call_events
from tests.telephony.factories import T0, FeedSourceFactory, ev

DAY = date(2026, 11, 23)


@pytest.fixture
def tricky(db):
    source = FeedSourceFactory(name="pbx1")
    call_events_ingest(source=source, raw_events=scenarios.tricky_events())
    return source


# --- beat ---------------------------------------------------------------------------------------
def test_beat_has_the_kpi_schedule():
    schedule = app.conf.beat_schedule
    assert schedule["kpi-rollup-intervals"]["task"] == "kpi.tasks.rollup_intervals"
    assert schedule["kpi-rollup-stale"]["task"] == "kpi.tasks.rollup_stale"
    assert schedule["kpi-rollup-days"]["task"] == "kpi.tasks.rollup_days"
    assert schedule["kpi-daily-report"]["task"] == "kpi.tasks.daily_report"


@pytest.mark.django_db(transaction=True)
def test_the_interval_rollup_runs_on_a_real_worker():
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        result = rollup_intervals_task.delay().get(timeout=60)
    assert result["intervals"] >= 2 * 96
    assert RollupInterval.objects.filter(computed_generation=F("generation")).count() == result["intervals"]


@pytest.mark.django_db
def test_the_stale_task_has_nothing_to_do_when_all_is_current():
    assert rollup_stale_task.apply().get()["intervals"] == 0


@pytest.mark.django_db
def test_the_nightly_task_rolls_up_ended_days():
    result = rollup_days_task.apply().get()
    assert result["days"] == 7
    assert RollupDay.objects.count() == 7


# --- the daily e-mail ------------------------------------------------------------------------------
def test_the_daily_report_goes_to_subscribed_managers_once(tricky, supervisor, mailoutbox):
    ReportSubscriptionFactory(user=supervisor, daily_email=True)
    assert daily_report_send(day=DAY) == 1
    (message,) = mailoutbox
    assert message.to == [supervisor.email]
    assert "2026-11-23" in message.subject
    html = message.alternatives[0][0]
    assert "sales" in html and "50.0 %" in html  # the sales queue's service level
    assert daily_report_send(day=DAY) == 0  # claimed: never twice
    assert len(mailoutbox) == 1
    assert DailyReportRun.objects.get(day=DAY).recipients == 1


def test_only_subscribed_users_who_may_see_reports_get_it(db, supervisor, agent):
    ReportSubscriptionFactory(user=supervisor, daily_email=True)
    ReportSubscriptionFactory(user=agent, daily_email=True)  # an agent may not see reports
    UserFactory(username="sue", roles=["supervisor"])  # not subscribed
    quiet = UserFactory(username="quiet", roles=["supervisor"])
    ReportSubscriptionFactory(user=quiet, daily_email=False)
    assert daily_report_recipients() == [supervisor.email]


def test_the_due_report_is_yesterdays(db, supervisor, mailoutbox):
    ReportSubscriptionFactory(user=supervisor)
    result = daily_report_send_due(now=datetime(2026, 11, 24, 0, 20, tzinfo=UTC))
    assert result == {"day": "2026-11-23", "sent": 1}


def test_a_mail_server_failure_releases_the_claim(db, supervisor, settings):
    ReportSubscriptionFactory(user=supervisor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    result = daily_report_send_due(now=datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    assert result["sent"] == 0 and "error" in result
    assert not DailyReportRun.objects.exists()  # the next hourly run tries again


# --- teams ----------------------------------------------------------------------------------------
def test_a_team_report_sums_its_members(tricky):
    alice = UserFactory(username="alice", roles=["agent"])
    bob = UserFactory(username="bob", roles=["agent"])
    team = TeamFactory(name="Front", members=[alice, bob])
    TeamFactory(name="Back", members=[bob])
    rows = {row.key["team"]: row for row in kpi_report(ReportQuery(first_day=DAY, last_day=DAY, by="team"))}
    assert rows["Front"].kpis["answered"] == 9  # alice 6 + bob 3
    assert rows["Back"].kpis["answered"] == 3
    (only,) = kpi_report(ReportQuery(first_day=DAY, last_day=DAY, team_id=team.id))
    assert only.kpis["answered"] == 9
    assert only.kpis["abandoned"] == 0  # abandons belong to no agent, so to no team


# --- presence and the agent's own numbers ------------------------------------------------------------
def test_occupancy_is_handle_time_over_handle_and_idle_time(db):
    source = FeedSourceFactory(name="pbx1")
    call_events_ingest(
        source=source,
        raw_events=[
            ev("agent.login", 0, agent="alice"),  # available 0-100
            *call_events("o1", queued=100, answered=100, ended=400, wrapup=500),  # on call 300, wrap-up 100
            ev("agent.state", 600, agent="alice", data={"state": "not_ready", "reason": "meeting"}),
            ev("agent.logout", 800, agent="alice"),
        ],
    )
    (row,) = kpi_report(ReportQuery(first_day=DAY, last_day=DAY, agent_code="alice"))
    # handle = 300 + 100; idle = 100 before the call + 100 after wrap-up; not ready counts in neither
    assert row.kpis["occupancy"] == pytest.approx(100 * 400 / 600)


def test_an_agents_own_numbers_cover_today_and_the_week(db):
    source = FeedSourceFactory(name="pbx1")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    today = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    events = []
    for call_id, start in (("n1", monday), ("n2", today), ("n3", today + timedelta(minutes=5))):
        offset = (start - T0).total_seconds()
        events += call_events(call_id, queued=offset, answered=offset + 10, ended=offset + 70)
    call_events_ingest(source=source, raw_events=events)
    numbers = agent_numbers(agent_code="alice", now=now)
    assert (numbers["today"]["answered"], numbers["week"]["answered"]) == (2, 3)
    assert numbers["today"]["aht_s"] == pytest.approx(60)


# --- late data -------------------------------------------------------------------------------------
def test_a_late_presence_event_marks_every_later_interval_stale(tricky):
    rollup_compute(start=T0 - timedelta(hours=9), end=T0 + timedelta(hours=15))
    late = ev("agent.state", 3600, agent="alice", data={"state": "break"})  # 10:00, sent days later
    call_events_ingest(source=tricky, raw_events=[late])
    from telephony.events import event_validate

    marked = rollup_events_note(source_id=tricky.id, events=[event_validate(late, source_name="pbx1")])
    assert marked == 14 * 4  # 10:00 up to midnight
    stale = RollupInterval.objects.exclude(computed_generation=F("generation"))
    assert min(stale.values_list("start", flat=True)) == T0 + timedelta(hours=1)


def test_a_new_contact_reopens_the_fcr_of_the_week_before(db):
    from tests.tickets.factories import CustomerFactory
    from tickets.models import CallLog

    source = FeedSourceFactory(name="pbx1")
    alice = UserFactory(username="alice", roles=["agent"])
    call_events_ingest(source=source, raw_events=call_events("w1", queued=0, answered=5, ended=60))
    rollup_compute(start=T0, end=T0 + timedelta(hours=1))
    customer = CustomerFactory()
    first = CallLog.objects.create(call_id="w1", agent=alice, customer=customer)
    CallLog.objects.filter(pk=first.pk).update(created_at=T0 + timedelta(minutes=2))
    again = CallLog.objects.create(call_id="w2", agent=alice, customer=customer)
    CallLog.objects.filter(pk=again.pk).update(created_at=T0 + timedelta(days=3))
    assert rollup_fcr_recheck(now=T0 + timedelta(days=3, hours=1)) == 1
    stale = RollupInterval.objects.exclude(computed_generation=F("generation"))
    assert list(stale.values_list("start", flat=True)) == [T0]


def test_the_long_wait_task_alerts_without_any_board_open(db):
    from django.core.cache import cache
    from django.utils import timezone

    from kpi.tasks import long_waits_task
    from telephony.models import Queue
    from tests.kpi.factories import QueueThresholdsFactory

    source = FeedSourceFactory(name="pbx1")
    QueueThresholdsFactory(queue=Queue.objects.get_or_create(name="sales")[0], long_wait_alert_s=30)
    call_id = f"lw-task-{timezone.now().timestamp()}"
    queued = (timezone.now() - timedelta(seconds=45)).isoformat()
    call_events_ingest(
        source=source,
        raw_events=[
            {
                "source": "pbx1",
                "event_id": call_id,
                "ts": queued,
                "type": "call.queued",
                "call_id": call_id,
                "queue": "sales",
            }
        ],
    )
    assert long_waits_task.apply().get() == 1
    assert long_waits_task.apply().get() == 0  # once per call
    cache.delete(f"kpi:long-wait:{source.id}:{call_id}:1")
