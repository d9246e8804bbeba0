"""Commands for the ACD: queued by the desktop, taken once by the ACD over its feed credentials."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from telephony.acd import acd_command_send, acd_commands_take
from telephony.models import AcdCommand
from tests.telephony.factories import FeedSourceFactory

pytestmark = pytest.mark.django_db


@override_settings(ACD_SOURCE="pbx1")
def test_commands_are_taken_once_in_order():
    source = FeedSourceFactory(name="pbx1")
    first = acd_command_send(agent_code="alice", action="login", data={"state": "available"})
    second = acd_command_send(agent_code="alice", action="answer", call_id="c1")
    assert [c.pk for c in acd_commands_take(source=source)] == [first.pk, second.pk]
    assert acd_commands_take(source=source) == []
    assert AcdCommand.objects.filter(taken_at__isnull=True).count() == 0


@override_settings(ACD_SOURCE="pbx1")
def test_another_sources_commands_are_not_handed_out():
    FeedSourceFactory(name="pbx1")
    other = FeedSourceFactory(name="pbx2")
    acd_command_send(agent_code="alice", action="logout")
    assert acd_commands_take(source=other) == []


def test_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown ACD action"):
        acd_command_send(agent_code="alice", action="explode")


@override_settings(ACD_SOURCE="pbx1")
def test_api_hands_commands_to_the_authenticated_feed():
    source = FeedSourceFactory(name="pbx1")
    acd_command_send(agent_code="alice", action="transfer", call_id="c9", data={"to_queue": "support"})
    response = APIClient().post("/api/telephony/commands", HTTP_AUTHORIZATION=f"Bearer {source.secret}")
    assert response.status_code == 200
    [command] = response.json()["commands"]
    assert (command["agent"], command["action"], command["call_id"], command["data"]) == (
        "alice",
        "transfer",
        "c9",
        {"to_queue": "support"},
    )
    again = APIClient().post("/api/telephony/commands", HTTP_AUTHORIZATION=f"Bearer {source.secret}")
    assert again.json()["commands"] == []


def test_api_refuses_a_wrong_token():
    FeedSourceFactory(name="pbx1")
    response = APIClient().post("/api/telephony/commands", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert "token" in response.json()["error"]["message"]
