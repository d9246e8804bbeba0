"""QA alert toasts over the real Redis channel layer: the agent hears of a score, leads of a dispute."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from callcenter.asgi import application
from qa.services.coaching import coaching_open
from qa.services.evaluations import dispute_resolve, evaluation_dispute, evaluation_submit
from tests.qa.conftest import full_answers

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


def _submit(qa, evaluation, **answers):
    return evaluation_submit(
        actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, **answers)
    )


@pytest.mark.asyncio
async def test_the_agent_hears_their_call_was_scored(client, agent, qa, evaluation):
    communicator = await _socket(client, agent)
    await sync_to_async(_submit)(qa, evaluation, verify=0)
    alert = await communicator.receive_json_from(timeout=5)
    assert (alert["type"], alert["kind"]) == ("alert", "qa_evaluation")
    assert alert["title"] == f"QA-{evaluation.pk}: a call of yours was scored 0.0 %"
    assert "Verified the caller" in alert["message"]
    assert alert["url"] == f"/qa/evaluations/{evaluation.pk}/"
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_another_agent_hears_nothing(client, agent, other_agent, qa, evaluation):
    communicator = await _socket(client, other_agent)
    await sync_to_async(_submit)(qa, evaluation)
    assert await communicator.receive_nothing(timeout=1)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_leads_and_the_evaluator_hear_of_a_dispute_and_the_agent_of_its_end(
    client, agent, qa, lead, evaluation
):
    await sync_to_async(_submit)(qa, evaluation)
    lead_socket = await _socket(client, lead)
    await sync_to_async(evaluation_dispute)(actor=agent, evaluation_id=evaluation.pk, reason="I did verify")
    alert = await lead_socket.receive_json_from(timeout=5)
    assert alert["kind"] == "qa_dispute" and alert["message"] == "I did verify"
    await lead_socket.disconnect()
    agent_socket = await _socket(client, agent)
    await sync_to_async(dispute_resolve)(
        actor=lead, evaluation_id=evaluation.pk, outcome="uphold", note="It stands"
    )
    alert = await agent_socket.receive_json_from(timeout=5)
    assert alert["kind"] == "qa_resolved" and alert["message"] == "It stands"
    await agent_socket.disconnect()


@pytest.mark.asyncio
async def test_the_agent_hears_of_a_coaching_session(client, agent, supervisor, team):
    communicator = await _socket(client, agent)
    await sync_to_async(coaching_open)(actor=supervisor, agent=agent, goals="Slow down a little")
    alert = await communicator.receive_json_from(timeout=5)
    assert alert["kind"] == "qa_coaching" and alert["message"] == "Slow down a little"
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_analysts_hear_of_new_work_from_sampling(client, agent, qa):
    from datetime import timedelta

    from django.utils import timezone

    from qa.services.sampling import calls_sample
    from tests.qa.factories import CallFactory

    await sync_to_async(CallFactory)(agent=agent, at=timezone.now() - timedelta(hours=2), csat=1)
    communicator = await _socket(client, qa)
    await sync_to_async(calls_sample)(now=timezone.now())
    alert = await communicator.receive_json_from(timeout=5)
    assert (alert["kind"], alert["title"], alert["url"]) == ("qa_work", "1 new call(s) to score", "/qa/")
    await communicator.disconnect()
