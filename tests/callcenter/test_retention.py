"""Retention: the daily beat task deletes recordings and erases customers' personal data past the
configured days; twice or late changes nothing more; 0 keeps everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from callcenter.audit import AuditFilters, audit_entries
from callcenter.celery import app
from callcenter.models import AuditRecord
from callcenter.retention import retention_run
from callcenter.tasks import retention_purge
from telephony.models import Call, CallEvent
from tests.qa.factories import CallFactory, write_wav
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import CallLog, Customer, CustomerEvent

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def recorded_call(media: Path, call_id: str, days_ago: float, **kwargs):
    path = f"recordings/pbx1/{call_id}.wav"
    write_wav(media / path)
    call = CallFactory(call_id=call_id, at=NOW - timedelta(days=days_ago), recording_url=path, **kwargs)
    CallEvent.objects.create(
        source=call.source,
        event_id=f"{call_id}-rec",
        ts=call.ended_at,
        type="recording.ready",
        call_id=call_id,
        data={"path": path, "duration_s": 2.0},
    )
    return call, media / path


def customer(days_ago: float, **kwargs) -> Customer:
    row = CustomerFactory(**kwargs)
    Customer.objects.filter(pk=row.pk).update(created_at=NOW - timedelta(days=days_ago))
    return row


@pytest.mark.django_db
def test_recordings_older_than_the_setting_are_deleted(media):
    old, old_file = recorded_call(media, "old", days_ago=40)
    new, new_file = recorded_call(media, "new", days_ago=10)
    run = retention_run(now=NOW, recordings_days=30, customer_pii_days=0)
    assert (run.recordings, run.files_deleted) == (1, 1)
    assert not old_file.exists() and new_file.exists()
    assert Call.objects.get(pk=old.pk).recording_url == ""
    assert Call.objects.get(pk=new.pk).recording_url == new.recording_url
    assert "path" not in CallEvent.objects.get(call_id="old").data
    assert Call.objects.get(pk=old.pk).talk_s == old.talk_s  # the call itself stays


@pytest.mark.django_db
def test_a_second_run_purges_nothing_and_records_nothing(media):
    recorded_call(media, "old", days_ago=40)
    retention_run(now=NOW, recordings_days=30, customer_pii_days=30)
    assert AuditRecord.objects.count() == 1
    run = retention_run(now=NOW, recordings_days=30, customer_pii_days=30)
    assert (run.recordings, run.customers) == (0, 0)
    assert AuditRecord.objects.count() == 1


@pytest.mark.django_db
def test_a_missing_file_still_clears_the_reference(media):
    call, path = recorded_call(media, "gone", days_ago=40)
    path.unlink()  # a run cut short after deleting the file, or a file that never arrived
    retention_run(now=NOW, recordings_days=30, customer_pii_days=0)
    assert Call.objects.get(pk=call.pk).recording_url == ""
    assert AuditRecord.objects.get().changes["files_missing"] == 1


@pytest.mark.django_db
def test_customers_without_contact_for_the_days_are_anonymised(media, agent):
    stale = customer(100, name="Old Timer", company="Acme", notes="likes tea", phones=["+14155550101"])
    called = customer(100, name="Recent Caller", phones=["+14155550102"])
    CallFactory(caller="+14155550102", at=NOW - timedelta(days=5))
    ticketed = customer(100, name="Open Ticket")
    TicketFactory(customer=ticketed)  # updated_at is now
    logged = customer(100, name="Logged Call")
    CallLog.objects.create(call_id="x1", agent=agent, customer=logged)
    new = customer(3, name="New Customer")
    CallFactory(caller="+14155550101", at=NOW - timedelta(days=200))  # her last call: long ago

    run = retention_run(now=NOW, recordings_days=0, customer_pii_days=90)
    assert run.customers == 1
    erased = Customer.objects.get(pk=stale.pk)
    assert (erased.name, erased.company, erased.notes) == (f"Erased customer #{stale.pk}", "", "")
    assert not erased.phones.exists()
    assert not Call.objects.filter(caller="+14155550101").exists()
    for kept in (called, ticketed, logged, new):
        assert Customer.objects.get(pk=kept.pk).erased_at is None
    assert CustomerEvent.objects.filter(customer=stale, kind="anonymised").exists()


@pytest.mark.django_db
def test_the_purge_is_in_the_audit_log_without_personal_data(media):
    recorded_call(media, "old", days_ago=40)
    stale = customer(100, name="Old Timer", phones=["+14155550101"], emails=["old@example.com"])
    retention_run(now=NOW, recordings_days=30, customer_pii_days=90)
    (entry,) = audit_entries(filters=AuditFilters(object_type="retention")).entries
    assert entry.action == "purged" and entry.actor == ""
    assert entry.changes["recordings"] == 1 and entry.changes["customers"] == 1
    assert entry.changes["customer_ids"] == [stale.pk]
    assert "Old Timer" not in repr(entry.changes) and "old@example.com" not in repr(entry.changes)


@pytest.mark.django_db
def test_zero_days_keep_everything(media, settings):
    settings.RETENTION_RECORDINGS_DAYS = 0
    settings.RETENTION_CUSTOMER_PII_DAYS = 0
    _call, path = recorded_call(media, "ancient", days_ago=4000)
    stale = customer(4000, name="Ancient")
    run = retention_run(now=NOW)
    assert (run.recordings, run.customers) == (0, 0)
    assert path.exists() and Customer.objects.get(pk=stale.pk).name == "Ancient"
    assert not AuditRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_runs_on_a_real_worker(media, settings):
    settings.RETENTION_RECORDINGS_DAYS = 30
    settings.RETENTION_CUSTOMER_PII_DAYS = 90
    assert not app.conf.task_always_eager
    _old, path = recorded_call(media, "old", days_ago=400)
    stale = customer(400, name="Old Timer")
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        first = retention_purge.delay().get(timeout=60)
        second = retention_purge.delay().get(timeout=60)
    assert (first["recordings"], first["customers"]) == (1, 1)
    assert (second["recordings"], second["customers"]) == (0, 0)
    assert not path.exists()
    assert Customer.objects.get(pk=stale.pk).erased_at is not None
    assert AuditRecord.objects.filter(object_type="retention").count() == 1


def test_the_beat_schedule_runs_it_daily():
    entry = app.conf.beat_schedule["data-retention"]
    assert entry["task"] == retention_purge.name
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}


def test_settings_come_from_the_environment_and_refuse_bad_values():
    import sys

    from tests.callcenter.test_settings import _env, _run

    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.RETENTION_RECORDINGS_DAYS, s.RETENTION_CUSTOMER_PII_DAYS)"
    )
    env = _env(DEBUG="true", RETENTION_RECORDINGS_DAYS="30", RETENTION_CUSTOMER_PII_DAYS="")
    done = _run([sys.executable, "-c", script], env)
    assert done.stdout.split() == ["30", "0"], done.stderr
    for bad in ("thirty", "-5"):
        done = _run([sys.executable, "-c", script], _env(DEBUG="true", RETENTION_RECORDINGS_DAYS=bad))
        assert done.returncode != 0 and "RETENTION_RECORDINGS_DAYS" in done.stderr
