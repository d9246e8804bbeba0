"""`/ws/wallboard/` over the real Redis channel layer: who may open it, the snapshot on connect,
pushed snapshots after ingest (coalesced), queue boards, and supervisor alerts."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from callcenter.asgi import application
from callcenter.realtime import group_push_async, supervisor_alerts_group
from kpi.live import SNAPSHOT_KEY, wallboard_publisher
from telephony.models import Queue
from tests.kpi.factories import QueueThresholdsFactory
from tests.telephony.factories import FeedSourceFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def fresh_board():
    # The snapshot cache lives in Redis; another test's floor must not answer this one's connect.
    cache.delete(SNAPSHOT_KEY)
    yield
    cache.delete(SNAPSHOT_KEY)


def _cookie(client, user) -> bytes:
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def _post(events, secret):
    response = APIClient().generic(
        "POST",
        "/api/telephony/events",
        json.dumps(events),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _queued(call_id: str, queue: str = "sales", ago: float = 0) -> dict:
    at = (timezone.now() - timedelta(seconds=ago)).isoformat()
    return {
        "source": "pbx1",
        "event_id": f"{call_id}-q",
        "ts": at,
        "type": "call.queued",
        "call_id": call_id,
        "queue": queue,
    }


async def _open(client, user, path="/ws/wallboard/"):
    cookie = await sync_to_async(_cookie)(client, user)
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, (b"cookie", cookie)])
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _until(communicator, predicate, timeout=8.0):
    """Snapshots until one satisfies `predicate`; returns it and how many came."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        message = await communicator.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        if message.get("type") != "wallboard.snapshot":
            continue
        seen += 1
        if predicate(message):
            return message, seen


@pytest.mark.asyncio
async def test_supervisor_gets_a_full_snapshot_on_connect(client, supervisor):
    await sync_to_async(Queue.objects.create)(name="sales")
    communicator, connected, _code = await _open(client, supervisor)
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "wallboard.snapshot"
    assert [tile["queue"] for tile in snapshot["queues"]] == ["sales"]
    assert set(snapshot["overall"]) >= {"waiting", "longest_wait_s", "agents", "today", "not_ready_reasons"}
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_agents_may_not_open_the_supervisor_wallboard(client, agent):
    _communicator, connected, code = await _open(client, agent)
    assert not connected
    assert code == 4403


@pytest.mark.asyncio
async def test_qa_may_not_open_the_wallboard(client, qa):
    _communicator, connected, code = await _open(client, qa)
    assert (connected, code) == (False, 4403)


@pytest.mark.asyncio
async def test_anonymous_wallboard_socket_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/wallboard/", headers=[ORIGIN])
    connected, code = await communicator.connect(timeout=5)
    assert (connected, code) == (False, 4401)


@pytest.mark.asyncio
async def test_a_malformed_queue_name_is_refused(client, supervisor):
    _communicator, connected, code = await _open(client, supervisor, "/ws/wallboard/?queue=a%20b")
    assert (connected, code) == (False, 4400)


@pytest.mark.asyncio
async def test_ingested_calls_reach_the_board_as_a_new_snapshot(client, supervisor):
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    communicator, _connected, _code = await _open(client, supervisor)
    first = await communicator.receive_json_from(timeout=5)
    assert first["overall"]["waiting"] == 0
    posted = time.monotonic()
    await sync_to_async(_post)([_queued("s1", ago=40), _queued("s2", ago=10)], source.secret)
    snapshot, _seen = await _until(communicator, lambda s: s["overall"]["waiting"] == 2)
    # The caller keeps waiting while the snapshot is on its way (seconds on a loaded machine).
    waited_since = time.monotonic() - posted
    sales = snapshot["queues"][0]
    assert (sales["queue"], sales["waiting"], sales["today"]["offered"]) == ("sales", 2, 2)
    assert 39 <= sales["longest_wait_s"] <= 41 + waited_since
    assert snapshot["last_event_at"] is not None
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_many_batches_make_few_snapshots(client, supervisor):
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    communicator, _connected, _code = await _open(client, supervisor)
    await communicator.receive_json_from(timeout=5)
    started = time.monotonic()
    for n in range(20):
        await sync_to_async(_post)([_queued(f"m{n}")], source.secret)
    elapsed = time.monotonic() - started
    _snapshot, seen = await _until(communicator, lambda s: s["overall"]["today"]["offered"] == 20)
    # Twenty batches, at most one snapshot per push interval while posting (plus the last one).
    assert seen <= int(elapsed / wallboard_publisher.push_interval_s) + 2
    assert seen < 20
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_queue_board_gets_only_its_queue(client, supervisor):
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    await sync_to_async(Queue.objects.create)(name="support")
    communicator, connected, _code = await _open(client, supervisor, "/ws/wallboard/?queue=support")
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert [tile["queue"] for tile in first["queues"]] == ["support"]
    await sync_to_async(_post)([_queued("q1", queue="sales"), _queued("q2", queue="support")], source.secret)
    snapshot, _seen = await _until(communicator, lambda s: s["overall"]["waiting"] == 1)
    assert [tile["queue"] for tile in snapshot["queues"]] == ["support"]
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_long_wait_alerts_the_supervisor_once(client, supervisor):
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    queue = await sync_to_async(Queue.objects.create)(name="sales")
    await sync_to_async(QueueThresholdsFactory)(queue=queue, long_wait_alert_s=30)
    communicator, _connected, _code = await _open(client, supervisor)
    await communicator.receive_json_from(timeout=5)
    call_id = f"long-{time.time_ns()}"
    await sync_to_async(_post)([_queued(call_id, ago=45)], source.secret)
    alerts = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and not alerts:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == "alert":
            alerts.append(message)
    (alert,) = alerts
    assert (alert["kind"], alert["queue"], alert["call_id"]) == ("long_wait", "sales", call_id)
    assert alert["title"] and alert["message"] and alert["at"]
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_sla_alerts_pushed_to_supervisors_reach_the_board(client, supervisor):
    communicator, _connected, _code = await _open(client, supervisor)
    await communicator.receive_json_from(timeout=5)
    alert = {
        "type": "alert",
        "kind": "sla_breach",
        "title": "T-12 breached",
        "message": "First response overdue",
        "url": "/tickets/12/",
        "at": timezone.now().isoformat(),
    }
    await group_push_async(supervisor_alerts_group(), alert)
    message = await communicator.receive_json_from(timeout=5)
    while message["type"] != "alert":
        message = await communicator.receive_json_from(timeout=5)
    assert message == alert
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_reconnecting_board_is_whole_again_at_once(client, supervisor):
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    communicator, _connected, _code = await _open(client, supervisor)
    await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    await sync_to_async(_post)([_queued("r1"), _queued("r2"), _queued("r3")], source.secret)
    await asyncio.sleep(wallboard_publisher.push_interval_s * 3)  # missed while away
    again, _connected, _code = await _open(client, supervisor)
    snapshot = await again.receive_json_from(timeout=5)
    assert snapshot["overall"]["waiting"] == 3
    await again.disconnect()
