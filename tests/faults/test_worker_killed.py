"""A Celery worker process killed (SIGKILL, as the OOM killer does) in the middle of a rollup: the
task goes back to the queue by itself, runs again, and the rollup rows equal those of a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from agents.models import AgentProfile
from kpi.models import PresenceRollup, RollupDay, RollupInterval, VisitRollup
from kpi.periods import day_bounds, local_day
from kpi.tasks import rollup_days_task
from tests.browser.servers import celery_worker
from tests.callcenter.factories import UserFactory
from tests.faults.bulk_days import days_generate
from tests.faults.state import rollup_rows

DAYS = 7
AGENTS = 6
VISIBILITY_TIMEOUT_S = 3


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _forget_rollups() -> None:
    for model in (VisitRollup, PresenceRollup, RollupInterval, RollupDay):
        model.objects.all().delete()


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


def _kill_pool_process(worker: subprocess.Popen) -> None:
    (child,) = _children(worker.pid)
    os.kill(child, signal.SIGKILL)


def _kill_worker(worker: subprocess.Popen) -> None:
    children = _children(worker.pid)
    worker.kill()
    worker.wait()
    for child in children:
        with suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill", [_kill_pool_process, _kill_worker], ids=["pool-process", "whole-worker"])
def test_rollup_worker_killed_midway_is_run_again_and_gives_the_clean_rows(kill):
    for n in range(AGENTS):
        AgentProfile.objects.create(user=UserFactory(username=f"bulk{n}", roles=["agent"]), code=f"bulk{n}")
    today = local_day(timezone.now())
    first = day_bounds(today - timedelta(days=DAYS))[0]
    days_generate(first_day_start=first, days=DAYS, calls_per_day=700, agents=AGENTS, seed=3)
    rollup_days_task.apply().get()  # the clean run, in this process
    clean = rollup_rows()
    assert len(clean["days"]) == DAYS and clean["visits"] and clean["presence"]
    _forget_rollups()

    env = {"CELERY_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}
    computed = RollupInterval.objects.filter(computed_generation__isnull=False)
    with celery_worker("--concurrency", "1", pool="prefork", env=env) as worker:
        result = rollup_days_task.apply_async()
        _wait(lambda: computed.exists(), timeout=60, what="the first day's rollup")
        kill(worker)
        days_at_kill = RollupDay.objects.count()
        if worker.poll() is None:
            # The pool starts a new process; the message, never acknowledged, is run again.
            result.get(timeout=60)
    if worker.poll() is not None and not result.ready():
        # The whole worker is gone: the next one gets the message once its visibility time is over.
        time.sleep(VISIBILITY_TIMEOUT_S)
        with celery_worker("--concurrency", "1", pool="prefork", env=env):
            result.get(timeout=60)
    assert days_at_kill < DAYS  # killed mid-way: some days were left to the rerun
    assert rollup_rows() == clean
