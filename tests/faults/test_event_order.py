"""Events arriving in reverse order, or shuffled, in many small batches (a feed replaying a buffer
backwards, several PBX links racing): the same call summaries, queue visits, presence and KPI
report as the events in order."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from telephony.models import FeedSource
from telephony.services import call_events_ingest
from telephony.simulator import config_simple, simulate
from tests.faults.state import calls_state, forget_feed, kpi_reports, rollup, rollup_rows

DAY = "2026-11-23"


@pytest.fixture(scope="module")
def events():
    config = config_simple(
        queues=["sales", "support"],
        calls_per_hour=30,
        agents=4,
        start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        duration_s=2 * 3600,
        seed=51,
        recordings=False,
        transfer_probability=0.2,
        hold_probability=0.3,
        breaks_per_hour=1.5,
        survey_probability=0.5,
    )
    return list(simulate(config))


def _ingest(source: FeedSource, events: list[dict], *, batch: int) -> None:
    for start in range(0, len(events), batch):
        result = call_events_ingest(source=source, raw_events=events[start : start + batch])
        assert not result.rejected


def _outcome(source: FeedSource, events: list[dict], *, batch: int) -> dict:
    _ingest(source, events, batch=batch)
    live = kpi_reports(DAY)
    rollup(DAY)
    return {**calls_state(), "report": live, "rolled_report": kpi_reports(DAY), "rollups": rollup_rows()}


def _reversed(events: list[dict]) -> list[dict]:
    return events[::-1]


def _shuffled(events: list[dict]) -> list[dict]:
    mixed = events[:]
    random.Random(7).shuffle(mixed)
    return mixed


def _late_tail(events: list[dict]) -> list[dict]:
    # Every tenth event held back and delivered at the very end, newest first.
    kept = [e for n, e in enumerate(events) if n % 10]
    return kept + [e for n, e in enumerate(events) if not n % 10][::-1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arrange", "batch"),
    [(_reversed, 50), (_shuffled, 30), (_late_tail, 200)],
    ids=["reversed", "shuffled", "late-tail"],
)
def test_out_of_order_arrival_gives_the_same_calls_presence_and_kpis(events, arrange, batch):
    source = FeedSource.objects.create(name="simulator")
    in_order = _outcome(source, events, batch=200)
    assert in_order["calls"] and in_order["presence"] and in_order["report"]["total"][0]["offered"]
    forget_feed()
    out_of_order = _outcome(source, arrange(events), batch=batch)
    for key, expected in in_order.items():
        assert out_of_order[key] == expected, key
