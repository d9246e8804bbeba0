"""An agent finds a customer by phone, opens the card and edits an e-mail: saved, or an error next to
the field. Once as a plain form (pytest's live server serves no static files, so no htmx), once on
the real stack where htmx swaps the form and the card in place."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.browser.servers import asgi_server
from tests.callcenter.factories import PASSWORD
from tests.tickets.factories import CustomerFactory
from tickets.models import CustomerEmail


def _login(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _open_by_phone(page: Page, base_url: str, typed: str, name: str) -> None:
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Customers").click()
    page.get_by_label("Search customers").fill(typed)
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("customers").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


@pytest.fixture
def grace(db):
    CustomerFactory(name="Alan Turing", phones=["+442079460018"], emails=["alan@bp.example"])
    return CustomerFactory(name="Grace Hopper", phones=["+14155550123"], emails=["grace@navy.example"])


@pytest.mark.django_db(transaction=True)
def test_agent_finds_a_customer_by_phone_and_changes_the_email(page: Page, live_server, agent, grace):
    _login(page, live_server.url, agent.username)
    _open_by_phone(page, live_server.url, "(415) 555-0123", "Grace Hopper")
    page.get_by_label("E-mail 1", exact=True).fill("Grace.Hopper@Navy.Example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved.")
    expect(page.get_by_test_id("customer-card")).to_contain_text("grace.hopper@navy.example")
    expect(page.get_by_test_id("customer-changes")).to_contain_text("grace@navy.example")
    assert list(CustomerEmail.objects.filter(customer=grace).values_list("email", flat=True)) == [
        "grace.hopper@navy.example"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_bad_email_is_marked_next_to_the_field_and_nothing_is_saved(page: Page, live_server, agent, grace):
    _login(page, live_server.url, agent.username)
    _open_by_phone(page, live_server.url, "555 0123", "Grace Hopper")
    field = page.get_by_label("E-mail 1", exact=True)
    field.fill("grace at navy")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("email-error")).to_contain_text("Enter a valid email address.")
    expect(page.get_by_label("E-mail 1", exact=True)).to_have_value("grace at navy")
    expect(page.get_by_label("E-mail 1", exact=True)).to_have_attribute("aria-invalid", "true")
    assert list(CustomerEmail.objects.filter(customer=grace).values_list("email", flat=True)) == [
        "grace@navy.example"
    ]


@pytest.mark.django_db(transaction=True)
def test_on_the_real_stack_htmx_saves_in_place_and_updates_the_card(page: Page, agent, grace):
    with asgi_server() as base:
        _login(page, base, agent.username)
        _open_by_phone(page, base, "+1 415 555 0123", "Grace Hopper")
        page.evaluate("window.stillThisPage = true")  # gone if the browser loaded a new page
        page.get_by_label("E-mail 1", exact=True).fill("not-an-address")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("email-error")).to_contain_text("Enter a valid email address.")
        # "+ Add an address" (JavaScript) gives a second row to fill in.
        page.get_by_label("E-mail 1", exact=True).fill("hopper@navy.example")
        page.get_by_role("button", name="+ Add an address").click()
        page.get_by_label("E-mail 2", exact=True).fill("admiral@navy.example")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("saved")).to_be_visible()
        card = page.get_by_test_id("customer-card")
        expect(card).to_contain_text("hopper@navy.example")
        expect(card).to_contain_text("admiral@navy.example")
        assert page.evaluate("window.stillThisPage") is True
        if os.environ.get("TICKETS_SCREENSHOTS"):
            page.screenshot(
                path=os.path.join(os.environ["TICKETS_SCREENSHOTS"], "customer.png"), full_page=True
            )
    assert sorted(CustomerEmail.objects.filter(customer=grace).values_list("email", flat=True)) == [
        "admiral@navy.example",
        "hopper@navy.example",
    ]
