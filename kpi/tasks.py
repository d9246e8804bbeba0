"""Celery tasks of kpi: thin wrappers over the rollup and report services, safe to run twice or late."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.utils import timezone

from kpi.live import long_wait_alerts_raise
from kpi.services.reports import daily_report_send_due
from kpi.services.rollups import rollup_days_due, rollup_due
from kpi.wallboard import wallboard_long_waits

# A rollup whose worker process dies (OOM kill, a deploy's SIGKILL) goes back to the queue and runs
# again: with acks_late (settings) the message is acknowledged only when the task is done, and
# rollups are idempotent and serialised, so a second run only finishes what the first began.
ROLLUP = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="kpi.tasks.rollup_intervals", **ROLLUP)
def rollup_intervals_task() -> dict[str, Any]:
    """Every 15 minutes: compute the intervals that have closed, and any made stale by late data."""
    return asdict(rollup_due(now=timezone.now()))


@shared_task(name="kpi.tasks.rollup_stale", **ROLLUP)
def rollup_stale_task() -> dict[str, Any]:
    """Every minute: recompute intervals made stale by late data (a no-op query when there are none)."""
    return asdict(rollup_due(now=timezone.now(), new=False))


@shared_task(name="kpi.tasks.rollup_days", **ROLLUP)
def rollup_days_task() -> dict[str, Any]:
    """Hourly: once a local day is over, its day rows (and any interval not yet computed)."""
    return asdict(rollup_days_due(now=timezone.now()))


@shared_task(name="kpi.tasks.long_waits")
def long_waits_task() -> int:
    """Every 30 s: alert supervisors about callers waiting past their queue's alert time, even when
    no event arrives and no board is open (each call alerts once)."""
    return long_wait_alerts_raise({"long_waits": wallboard_long_waits(), "at": timezone.now().isoformat()})


@shared_task(name="kpi.tasks.daily_report")
def daily_report_task() -> dict[str, Any]:
    """Hourly: e-mail yesterday's report to the subscribed managers, once."""
    return daily_report_send_due(now=timezone.now())
