"""The same feed batch sent three times (a feed that retries after a lost answer): the first is
accepted, the repeats are counted as duplicates, and calls, presence and KPIs count it once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from telephony.models import CallEvent, FeedSource
from telephony.simulator import config_simple, simulate
from tests.faults.state import calls_state, kpi_reports, rollup, rollup_rows

DAY = "2026-11-23"
URL = "/api/telephony/events"


@pytest.fixture
def batch():
    config = config_simple(
        queues=["sales", "support"],
        calls_per_hour=40,
        agents=5,
        start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        duration_s=2 * 3600,
        seed=41,
        recordings=False,
        transfer_probability=0.2,
    )
    events = list(simulate(config))
    assert 500 < len(events) <= 5000
    return events


def _post(source: FeedSource, batch: list[dict]) -> dict:
    response = APIClient().generic(
        "POST",
        URL,
        json.dumps(batch),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {source.secret}",
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_the_same_batch_three_times_is_stored_and_counted_once(batch):
    source = FeedSource.objects.create(name="simulator")
    first = _post(source, batch)
    assert first == {"accepted": len(batch), "duplicates": 0, "rejected": []}
    state = calls_state()
    live = kpi_reports(DAY)  # before any rollup: computed from the raw visits
    rollup(DAY)
    rolled = rollup_rows()
    assert kpi_reports(DAY) == live
    for _repeat in range(2):
        assert _post(source, batch) == {"accepted": 0, "duplicates": len(batch), "rejected": []}
        assert CallEvent.objects.count() == len(batch)
        assert calls_state() == state
        assert kpi_reports(DAY) == live
    rollup(DAY)
    assert rollup_rows() == rolled
    assert kpi_reports(DAY) == live
    queued = sum(1 for event in batch if event["type"] == "call.queued")
    assert live["total"][0]["offered"] == queued == len(state["visits"])
