"""Live effects over the real Redis channel layer: screen pops (wallboard snapshots: tests/kpi)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.test import APIClient

from callcenter.asgi import application
from tests.telephony.factories import FeedSourceFactory, answered_call

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


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


@pytest.mark.asyncio
async def test_ringing_call_pops_on_the_agents_socket(client, agent):
    cookie = await sync_to_async(_cookie)(client, agent)
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=[ORIGIN, (b"cookie", cookie)])
    assert (await communicator.connect(timeout=5))[0]
    await communicator.receive_json_from(timeout=5)  # hello
    events = answered_call("c77", agent="alice")[:3]  # offered, queued, ringing
    events[0]["caller"] = "+14155550199"
    await sync_to_async(_post)(events, source.secret)
    pop = await communicator.receive_json_from(timeout=5)
    while pop["type"] == "agent_state":  # alice's presence changes too; the desk gets both
        pop = await communicator.receive_json_from(timeout=5)
    assert pop["type"] == "screen_pop"
    assert (pop["event"], pop["call_id"], pop["queue"]) == ("call.ringing", "c77", "sales")
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_no_pop_for_another_agents_call(client, agent, other_agent):
    cookie = await sync_to_async(_cookie)(client, agent)
    source = await sync_to_async(FeedSourceFactory)(name="pbx1")
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=[ORIGIN, (b"cookie", cookie)])
    await communicator.connect(timeout=5)
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(_post)(answered_call("c78", agent="bob")[:3], source.secret)
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_agents_may_not_open_the_wallboard_socket(client, agent):
    cookie = await sync_to_async(_cookie)(client, agent)
    communicator = WebsocketCommunicator(application, "/ws/wallboard/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, code = await communicator.connect(timeout=5)
    assert not connected
    assert code == 4403
