"""An agent's call, end to end on the real stack: the simulator rings the agent logged in on the desktop,
the screen pop shows the customer, the agent answers, hangs up, logs the wrap-up with a new ticket,
and the customer's timeline shows the call."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from telephony.models import FeedSource, Queue
from telephony.simulator import AREA_CODES
from tests.browser.servers import asgi_server, celery_worker, simulator
from tests.callcenter.factories import PASSWORD
from tests.tickets.factories import CallScriptFactory, DispositionFactory
from tickets.models import CallLog, Customer, CustomerPhone, Ticket

CALL_TIMEOUT_MS = 90_000


def _customers_for_every_simulated_caller() -> None:
    """The simulator draws callers from +1 <area> 555-0100…0199: give each number a customer."""
    numbers = [f"+1{area}5550{n}" for area in AREA_CODES for n in range(100, 200)]
    customers = Customer.objects.bulk_create([Customer(name=f"Customer {number[-7:]}") for number in numbers])
    CustomerPhone.objects.bulk_create(
        [
            CustomerPhone(customer=customer, number=number)
            for customer, number in zip(customers, numbers, strict=True)
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_agent_takes_a_simulated_call_and_logs_it(page: Page, agent):
    Queue.objects.get_or_create(name="sales")
    feed, _created = FeedSource.objects.get_or_create(name="simulator")
    DispositionFactory(code="resolved", label="Resolved on the call")
    CallScriptFactory(name="Sales welcome", queue="sales", steps=[("Greet", "Welcome the caller by name.")])
    _customers_for_every_simulated_caller()

    with (
        asgi_server() as base,
        celery_worker(),
        simulator(
            base,
            feed.secret,
            "--agents",
            "0",
            "--queues",
            "sales",
            "--calls-per-hour",
            "720",
            "--patience",
            "0",
            "--no-recordings",
            "--duration",
            "1800",
            "--seed",
            "5",
        ),
    ):
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(agent.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/desktop/$"))
        expect(page.get_by_test_id("socket-status")).to_have_attribute("data-connected", "true")

        page.get_by_test_id("go-available").click()
        state = page.get_by_test_id("agent-state")
        expect(state).to_have_attribute("data-state", "available", timeout=15_000)

        expect(state).to_have_attribute("data-state", "ringing", timeout=CALL_TIMEOUT_MS)
        panel = page.get_by_test_id("call-panel-loaded")
        expect(panel).to_be_visible()
        number = page.get_by_test_id("call-number").inner_text()
        customer = Customer.objects.get(phones__number=number)
        expect(page.get_by_test_id("pop-title")).to_have_text(customer.name)
        expect(page.get_by_test_id("call-script")).to_contain_text("Welcome the caller by name.")

        page.keyboard.press("Alt+a")  # answer
        expect(state).to_have_attribute("data-state", "on_call", timeout=15_000)
        page.get_by_test_id("hangup").click()
        expect(state).to_have_attribute("data-state", "wrap_up", timeout=15_000)

        page.get_by_test_id("wrapup-notes").fill("Wants the premium plan; sending a quote.")
        page.get_by_test_id("wrapup-disposition").select_option("resolved")
        page.get_by_test_id("wrapup-ticket").select_option("new")
        page.get_by_test_id("wrapup-ticket-subject").fill("Quote for the premium plan")
        page.get_by_test_id("wrapup-save").click()
        expect(page.get_by_test_id("wrapup-saved")).to_be_visible()
        # Saving ends the wrap-up at the ACD: the agent is available again, without another click.
        expect(state).not_to_have_attribute("data-state", "wrap_up", timeout=15_000)

        log = CallLog.objects.get(agent=agent)
        assert (log.customer_id, log.disposition.code) == (customer.pk, "resolved")
        ticket = Ticket.objects.get(subject="Quote for the premium plan")
        assert ticket.customer_id == customer.pk

        page.goto(f"{base}/customers/{customer.pk}/")
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("Wants the premium plan; sending a quote.")
        expect(timeline).to_contain_text("Quote for the premium plan")
