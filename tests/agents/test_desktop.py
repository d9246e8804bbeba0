"""Desktop services and APIs: state changes and call actions go to the ACD, checked against the feed."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from agents.desktop import agent_now, desktop_call_action, desktop_state_set
from callcenter.errors import ApplicationError, ConflictError
from telephony.models import AcdCommand
from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, QueueFactory, answered_call, ev

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("acd")]


@pytest.fixture
def acd(settings):
    settings.ACD_SOURCE = "pbx1"
    return FeedSourceFactory(name="pbx1")


def _ingest(acd, events):
    result = call_events_ingest(source=acd, raw_events=events)
    assert not result.rejected, result.rejected
    return result


def _last_command():
    return AcdCommand.objects.order_by("-id").first()


def test_going_available_when_logged_out_logs_the_agent_in(agent):
    desktop_state_set(user=agent, state="available")
    command = _last_command()
    assert (command.agent_code, command.action, command.data) == (
        "alice",
        "login",
        {"state": "available", "reason": ""},
    )


def test_going_not_ready_when_logged_in_changes_state(agent, acd):
    _ingest(acd, [ev("agent.login", 0, agent="alice")])
    desktop_state_set(user=agent, state="not_ready", reason="meeting")
    command = _last_command()
    assert (command.action, command.data) == ("state", {"state": "not_ready", "reason": "meeting"})


def test_not_ready_needs_a_listed_reason(agent):
    with pytest.raises(ApplicationError) as error:
        desktop_state_set(user=agent, state="not_ready", reason="nap")
    assert "reason" in error.value.fields
    assert not AcdCommand.objects.exists()


def test_logging_out_mid_call_is_refused(agent, acd):
    _ingest(acd, [ev("agent.login", 0, agent="alice"), *answered_call("c1")[:4]])
    assert agent_now(code="alice").state == "on_call"
    with pytest.raises(ConflictError, match="Finish the call"):
        desktop_state_set(user=agent, state="logged_out")


def test_answer_is_sent_for_a_call_ringing_on_the_agents_desk(agent, acd):
    _ingest(acd, answered_call("c1")[:3])
    desktop_call_action(user=agent, call_id="c1", action="answer")
    assert (_last_command().action, _last_command().call_id) == ("answer", "c1")


def test_an_action_on_someone_elses_call_is_refused(agent, acd):
    _ingest(acd, answered_call("c1", agent="bob")[:3])
    with pytest.raises(ConflictError, match="not yours"):
        desktop_call_action(user=agent, call_id="c1", action="answer")


def test_an_action_out_of_step_says_where_the_call_is(agent, acd):
    _ingest(acd, answered_call("c1")[:3])
    with pytest.raises(ConflictError, match="ringing") as refused:
        desktop_call_action(user=agent, call_id="c1", action="hangup")
    assert "You cannot hang up now" in refused.value.message  # the action's label, not its code


def test_an_action_out_of_step_is_named_in_the_users_language(agent, acd):
    _ingest(acd, answered_call("c1")[:3])
    with translation.override("fa"), pytest.raises(ConflictError) as refused:
        desktop_call_action(user=agent, call_id="c1", action="hangup")
    assert "«قطع تماس»" in refused.value.message  # "Hang up"


def test_wrapup_end_follows_the_hangup(agent, acd):
    _ingest(acd, answered_call("c1")[:5])
    desktop_call_action(user=agent, call_id="c1", action="wrapup_end")
    assert _last_command().action == "wrapup_end"


def test_transfer_needs_a_known_other_queue(agent, acd):
    QueueFactory(name="support")
    _ingest(acd, answered_call("c1")[:4])
    with pytest.raises(ApplicationError) as error:
        desktop_call_action(user=agent, call_id="c1", action="transfer", to_queue="nowhere")
    assert "to_queue" in error.value.fields
    desktop_call_action(user=agent, call_id="c1", action="transfer", to_queue="support")
    assert _last_command().data == {"to_queue": "support"}


def test_state_api_reports_presence_and_accepts_changes(agent, acd):
    _ingest(acd, [ev("agent.login", 0, agent="alice")])
    client = APIClient()
    client.force_authenticate(agent)
    assert client.get("/api/desktop/state").json()["state"] == "available"
    response = client.post("/api/desktop/state", {"state": "break"}, format="json")
    assert response.status_code == 202
    assert response.json()["action"] == "state"


def test_call_action_api_answers_409_out_of_step(agent, acd):
    _ingest(acd, answered_call("c1")[:3])
    client = APIClient()
    client.force_authenticate(agent)
    response = client.post("/api/desktop/calls/c1/actions", {"action": "hold"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("persona", ["supervisor", "qa"])
def test_desktop_apis_are_for_agents(request, persona):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(persona))
    assert client.get("/api/desktop/state").status_code == 403
    assert (
        client.post("/api/desktop/calls/c1/actions", {"action": "answer"}, format="json").status_code == 403
    )


def test_desktop_apis_refuse_anonymous():
    assert APIClient().get("/api/desktop/state").status_code == 401


@override_settings(ACD_SOURCE="pbx1")
def test_unanswered_ring_ends_the_ringing_state(agent, acd):
    _ingest(acd, [ev("agent.login", 0, agent="alice"), *answered_call("c1")[:3]])
    assert agent_now(code="alice").state == "ringing"
    _ingest(acd, [ev("call.ringing", 30, "c1", agent="alice", queue="sales", data={"answered": False})])
    assert agent_now(code="alice").state == "available"
