"""Desktop pages and fragments: who may open them, the call panel, and wrap-up errors by the fields."""

from __future__ import annotations

import pytest

from telephony.models import AcdCommand
from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, answered_call, ev
from tests.tickets.factories import CallScriptFactory, CustomerFactory, DispositionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acd(settings):
    settings.ACD_SOURCE = "pbx1"
    return FeedSourceFactory(name="pbx1")


@pytest.fixture
def ringing(acd):
    call_events_ingest(
        source=acd, raw_events=[ev("agent.login", -5, agent="alice"), *answered_call("c1")[:3]]
    )
    return "c1"


def test_agent_opens_the_desktop(client, agent):
    client.force_login(agent)
    response = client.get("/desktop/")
    assert response.status_code == 200
    assert b'data-testid="agent-state"' in response.content


@pytest.mark.parametrize("persona", ["supervisor", "qa", "admin"])
def test_other_roles_get_403_on_the_desktop(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/desktop/").status_code == 403
    assert client.post("/desktop/state", {"state": "available"}).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get("/desktop/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_state_form_sends_a_command_and_says_so(client, agent, acd):
    client.force_login(agent)
    response = client.post("/desktop/state", {"state": "available"})
    assert b"Sent to the phone system" in response.content
    assert AcdCommand.objects.get().action == "login"


def test_bad_state_request_shows_why(client, agent, acd):
    client.force_login(agent)
    response = client.post("/desktop/state", {"state": "not_ready", "reason": "nap"})
    assert b'role="alert"' in response.content and b"Say why you are not ready" in response.content
    assert not AcdCommand.objects.exists()


def test_call_panel_pops_the_customer_and_the_script(client, agent, ringing):
    customer = CustomerFactory(name="Grace Hopper", phones=["+14155550123"])
    CallScriptFactory(name="Sales welcome", queue="sales", steps=[("Greet", "Say hello to the caller.")])
    client.force_login(agent)
    response = client.get(f"/desktop/calls/{ringing}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert customer.name in page and "Say hello to the caller." in page


def test_call_panel_offers_a_new_customer_form_for_an_unknown_number(client, agent, ringing):
    client.force_login(agent)
    page = client.get(f"/desktop/calls/{ringing}/").content.decode()
    assert 'data-testid="new-customer-form"' in page and 'value="+14155550123"' in page


def test_call_panel_of_someone_elses_call_is_404(client, other_agent, ringing):
    client.force_login(other_agent)
    assert client.get(f"/desktop/calls/{ringing}/").status_code == 404


def test_new_customer_from_the_pop_is_matched_to_the_call(client, agent, ringing):
    client.force_login(agent)
    page = client.post(
        f"/desktop/calls/{ringing}/customer", {"name": "Ada Lovelace", "phone": "+14155550123"}
    )
    assert 'data-testid="pop-title">Ada Lovelace<' in page.content.decode()


def test_wrapup_errors_are_shown_next_to_the_fields(client, agent, ringing):
    DispositionFactory(code="sale")
    client.force_login(agent)
    response = client.post(
        f"/desktop/calls/{ringing}/wrapup", {"notes": "x", "ticket": "new", "ticket_subject": ""}
    )
    page = response.content.decode()
    assert 'data-testid="wrapup-errors"' in page
    assert "Choose a disposition." in page and "Give the new ticket a subject." in page
    assert ">x</textarea>" in page  # what the agent typed is kept
