"""The desktop socket over the real Redis layer: a snapshot on connect, then state changes as they happen."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from callcenter.asgi import application
from telephony.live import ingest_effects_publish
from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, answered_call, ev

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


def _cookie(client, user) -> bytes:
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def _ingest(events):
    source = FeedSourceFactory(name="pbx1")
    ingest_effects_publish(call_events_ingest(source=source, raw_events=events))


async def _connect(client, user):
    cookie = await sync_to_async(_cookie)(client, user)
    communicator = WebsocketCommunicator(application, "/ws/desktop/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _next_of(communicator, kind):
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


@pytest.mark.asyncio
async def test_connecting_desktop_gets_the_current_state(client, agent):
    await sync_to_async(_ingest)([ev("agent.login", 0, agent="alice")])
    communicator, connected, _code = await _connect(client, agent)
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert (snapshot["type"], snapshot["state"]) == ("agent_state", "available")
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_state_changes_are_pushed_as_calls_arrive(client, agent):
    await sync_to_async(_ingest)([ev("agent.login", 0, agent="alice")])
    communicator, _connected, _code = await _connect(client, agent)
    await communicator.receive_json_from(timeout=5)  # snapshot
    await sync_to_async(_ingest)(answered_call("c5")[:3])
    ringing = await _next_of(communicator, "agent_state")
    assert (ringing["state"], ringing["call_id"], ringing["queue"]) == ("ringing", "c5", "sales")
    pop = await _next_of(communicator, "screen_pop")
    assert (pop["call_id"], pop["caller"]) == ("c5", "+14155550123")
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("persona", ["supervisor", "qa"])
async def test_desktop_socket_is_for_agents(client, request, persona):
    user = await sync_to_async(request.getfixturevalue)(persona)
    _communicator, connected, code = await _connect(client, user)
    assert (connected, code) == (False, 4403)


@pytest.mark.asyncio
async def test_desktop_socket_refuses_anonymous():
    communicator = WebsocketCommunicator(application, "/ws/desktop/", headers=[ORIGIN])
    connected, code = await communicator.connect(timeout=5)
    assert (connected, code) == (False, 4401)


@pytest.mark.asyncio
async def test_screen_pop_names_the_matching_customer(client, agent):
    from tests.tickets.factories import CustomerFactory

    customer = await sync_to_async(CustomerFactory)(name="Grace Hopper", phones=["+14155550123"])
    await sync_to_async(_ingest)([ev("agent.login", 0, agent="alice")])
    communicator, _connected, _code = await _connect(client, agent)
    await communicator.receive_json_from(timeout=5)  # snapshot
    await sync_to_async(_ingest)(answered_call("c6")[:3])
    pop = await _next_of(communicator, "screen_pop")
    assert pop["customer"] == {
        "id": customer.pk,
        "name": "Grace Hopper",
        "company": customer.company,
        "matches": 1,
    }
    await communicator.disconnect()
