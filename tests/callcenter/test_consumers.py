"""The realtime path over the real Redis channel layer: authenticated sockets receive pushes."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from callcenter.asgi import application
from callcenter.realtime import group_push_async, user_group

pytestmark = [pytest.mark.django_db(transaction=True)]
# The origin validator reads ALLOWED_HOSTS at import, before the test runner adds "testserver".
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture
def agent_cookie(client, agent):
    client.force_login(agent)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def test_the_channel_layer_is_redis():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"


@pytest.mark.asyncio
async def test_logged_in_user_gets_a_pushed_message(agent, agent_cookie):
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=[ORIGIN, (b"cookie", agent_cookie)]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"type": "hello", "user": "alice"}
    await group_push_async(user_group(agent.id), {"type": "notice", "text": "queue 1 is busy"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "notice", "text": "queue 1 is busy"}
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_ping_gets_pong(agent_cookie):
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=[ORIGIN, (b"cookie", agent_cookie)]
    )
    await communicator.connect(timeout=5)
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_push_to_another_user_does_not_arrive(agent, other_agent, agent_cookie):
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=[ORIGIN, (b"cookie", agent_cookie)]
    )
    await communicator.connect(timeout=5)
    await communicator.receive_json_from(timeout=5)
    await group_push_async(user_group(other_agent.id), {"type": "notice", "text": "for bob"})
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_anonymous_socket_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=[ORIGIN])
    connected, code = await communicator.connect(timeout=5)
    assert not connected
    assert code == 4401


@pytest.mark.asyncio
async def test_socket_from_a_foreign_origin_is_refused(agent_cookie):
    headers = [(b"origin", b"https://evil.example"), (b"cookie", agent_cookie)]
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
