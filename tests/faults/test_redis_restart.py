"""Redis killed and started again while the feed streams in: every event is stored exactly once,
ingest never fails for it, and the open wallboard gets fresh snapshots again by itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from agents.models import AgentProfile
from telephony.models import CallEvent, FeedSource, Queue
from telephony.simulator import config_simple, simulate
from tests.browser.servers import asgi_server
from tests.callcenter.factories import UserFactory
from tests.faults.stack import post_events, redis_server, wallboard_watcher

BATCH = 40
SNAPSHOT_WAIT_S = 20


def _events(start: datetime) -> list[dict]:
    config = config_simple(
        queues=["sales"],
        calls_per_hour=900,
        agents=3,
        start=start,
        duration_s=1200,
        seed=21,
        recordings=False,
    )
    return list(simulate(config))


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
def test_redis_restart_during_ingest_loses_nothing_and_the_wallboard_recovers(supervisor):
    Queue.objects.get_or_create(name="sales", defaults={"display_name": "Sales"})
    feed = FeedSource.objects.create(name="simulator")
    for n in range(1, 4):  # the simulated agents are people here: their calls pop screens over Redis
        AgentProfile.objects.create(user=UserFactory(username=f"agent{n}", roles=["agent"]), code=f"agent{n}")
    events = _events(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=25))
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    assert len(batches) >= 12
    third = len(batches) // 3
    cookie = _session_cookie(supervisor)
    with (
        redis_server() as redis,
        asgi_server(env={"REDIS_URL": redis.url}) as base,
        wallboard_watcher(base, cookie) as board,
    ):
        assert board.wait_for(lambda s: True, timeout=SNAPSHOT_WAIT_S), "no first snapshot"
        statuses = []
        for batch in batches[:third]:
            statuses.append(post_events(base, feed.secret, batch)[0])
        redis.kill()
        # Redis is gone for a few seconds: the feed keeps coming and must be stored and answered.
        time.sleep(1.5)
        for batch in batches[third : 2 * third]:
            statuses.append(post_events(base, feed.secret, batch)[0])
        redis.start()
        seen = len(board.received())
        restarted_at = time.monotonic()
        for batch in batches[2 * third :]:
            statuses.append(post_events(base, feed.secret, batch)[0])
        newest = max(event["ts"] for event in events).replace("Z", "+00:00")
        fresh = board.wait_for(
            lambda s: (
                s["_received"] > restarted_at
                and s.get("last_event_at")
                and datetime.fromisoformat(s["last_event_at"]) >= datetime.fromisoformat(newest)
            ),
            timeout=SNAPSHOT_WAIT_S,
            since=seen,
        )
    assert statuses == [200] * len(batches)
    stored = list(CallEvent.objects.filter(source=feed).values_list("event_id", flat=True))
    assert len(stored) == len(events)
    assert set(stored) == {event["event_id"] for event in events}
    assert fresh is not None, "the wallboard got no snapshot of the events sent after Redis came back"
