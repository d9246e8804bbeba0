"""SLA alerts over the real Redis channel layer, and the scan as a Celery task on a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from celery.contrib.testing.worker import start_worker
from channels.testing import WebsocketCommunicator
from django.conf import settings

from callcenter.asgi import application
from callcenter.celery import app
from tests.agents.factories import TeamFactory
from tests.tickets.factories import SlaPolicyFactory
from tickets.models import Priority, Ticket
from tickets.services.sla import sla_scan
from tickets.services.tickets import ticket_create
from tickets.tasks import sla_scan_task

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


def _cookie(client, user) -> bytes:
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def _socket(client, user) -> WebsocketCommunicator:
    cookie = await sync_to_async(_cookie)(client, user)
    communicator = WebsocketCommunicator(application, "/ws/alerts/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    return communicator


def _breaching_ticket(*, assignee, team=None) -> Ticket:
    SlaPolicyFactory(priority=Priority.NORMAL, escalate_raise_priority=False)
    return ticket_create(actor=assignee, subject="Printer on fire", team=team, assignee=assignee)


@pytest.mark.asyncio
async def test_supervisor_sees_a_breach_as_it_happens(client, agent, other_agent, supervisor):
    ticket = await sync_to_async(_breaching_ticket)(assignee=other_agent)
    communicator = await _socket(client, supervisor)
    await sync_to_async(sla_scan)(now=ticket.first_response_due_at + timedelta(minutes=1))
    alert = await communicator.receive_json_from(timeout=5)
    assert alert["type"] == "alert" and alert["kind"] == "sla_breach"
    assert alert["ticket"] == ticket.pk and alert["clock"] == "first_response"
    assert alert["url"] == f"/tickets/{ticket.pk}/"
    assert "Printer on fire" in alert["message"]
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_assignee_gets_the_alert_of_their_ticket_only(client, agent, other_agent):
    mine = await sync_to_async(_breaching_ticket)(assignee=agent)
    await sync_to_async(ticket_create)(actor=other_agent, subject="Not mine", assignee=other_agent)
    communicator = await _socket(client, agent)
    await sync_to_async(sla_scan)(now=mine.first_response_due_at + timedelta(minutes=1))
    alert = await communicator.receive_json_from(timeout=5)
    assert alert["ticket"] == mine.pk
    assert await communicator.receive_nothing(timeout=1)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_team_supervisor_is_told_personally(client, agent, supervisor):
    def setup() -> Ticket:
        team = TeamFactory(name="Front line", members=[agent])
        team.supervisor = supervisor
        team.save()
        return _breaching_ticket(assignee=agent, team=team)

    ticket = await sync_to_async(setup)()
    communicator = await _socket(client, supervisor)
    await sync_to_async(sla_scan)(now=ticket.first_response_due_at + timedelta(minutes=1))
    # Once through the floor group and once personally: the page shows both, the content is one alert.
    first = await communicator.receive_json_from(timeout=5)
    second = await communicator.receive_json_from(timeout=5)
    assert first["ticket"] == second["ticket"] == ticket.pk
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_alert_socket_refuses_anonymous():
    communicator = WebsocketCommunicator(application, "/ws/alerts/", headers=[ORIGIN])
    connected, code = await communicator.connect(timeout=5)
    assert not connected and code == 4401


@pytest.mark.asyncio
async def test_alert_socket_forwards_no_screen_pops(client, agent):
    from callcenter.realtime import group_push_async, user_group

    communicator = await _socket(client, agent)
    await group_push_async(user_group(agent.pk), {"type": "screen_pop", "call_id": "c1"})
    assert await communicator.receive_nothing(timeout=1)
    await communicator.disconnect()


def test_scan_runs_on_a_real_worker(agent):
    ticket = _breaching_ticket(assignee=agent)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=ticket.created_at - timedelta(minutes=1),
        first_response_warn_at=ticket.created_at - timedelta(minutes=2),
    )
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        counts = sla_scan_task.delay().get(timeout=30)
    assert counts == {"warned": 0, "breached": 1, "escalated": 0}
    assert Ticket.objects.get(pk=ticket.pk).first_response_breached_at is not None


def test_beat_runs_the_scan_every_minute():
    entry = app.conf.beat_schedule["sla-scan"]
    assert entry["task"] == sla_scan_task.name and entry["schedule"] == 60.0
