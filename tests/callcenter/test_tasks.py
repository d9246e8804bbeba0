"""Celery tasks run through a real worker consuming from Redis."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from callcenter.celery import app
from callcenter.models import Heartbeat
from callcenter.tasks import heartbeat


@pytest.mark.django_db(transaction=True)
def test_heartbeat_runs_on_a_real_worker():
    assert not app.conf.task_always_eager
    assert app.conf.broker_url.startswith("redis://")
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        last_seen = heartbeat.delay().get(timeout=30)
    row = Heartbeat.objects.get(component="worker")
    assert row.last_seen.isoformat() == last_seen


@pytest.mark.django_db
def test_heartbeat_twice_keeps_one_row():
    heartbeat.apply()
    heartbeat.apply()
    assert Heartbeat.objects.filter(component="worker").count() == 1


def test_beat_schedule_includes_the_heartbeat():
    entry = app.conf.beat_schedule["worker-heartbeat"]
    assert entry["task"] == heartbeat.name
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db
def test_embedded_beat_runs_due_tasks_inside_the_process():
    """Without Redis there is no worker: beat must run the task where it ticks (the server)."""
    from datetime import timedelta

    from celery import beat

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        app.loader.import_default_modules()
        scheduler = beat.Scheduler(app, lazy=True)
        entry = scheduler.Entry(name="hb", task=heartbeat.name, schedule=timedelta(seconds=30), app=app)
        scheduler.apply_async(entry, advance=False)
    finally:
        app.conf.task_always_eager = previous
    assert Heartbeat.objects.filter(component="worker").exists()
