"""An agent works tickets in the browser: bulk-assigns from the list, meets a conflict on a ticket."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.callcenter.factories import PASSWORD
from tests.tickets.factories import TicketFactory
from tickets.services.tickets import ticket_update


def _login(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
def test_agent_bulk_assigns_from_the_unassigned_view(page: Page, live_server, agent):
    first = TicketFactory(subject="Modem blinking red")
    second = TicketFactory(subject="Cannot log in")
    _login(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/tickets/?view=unassigned")
    # Static files are not served by pytest's live server, so tick each box (no "select all" script).
    page.get_by_label(f"Select {first.number}").check()
    page.get_by_label(f"Select {second.number}").check()
    page.get_by_label("With the selected tickets").select_option("assign:me")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").first).to_contain_text("Changed 2 ticket(s).")
    page.get_by_role("link", name="My open tickets").click()
    expect(page.get_by_test_id("tickets")).to_contain_text(first.subject)
    expect(page.get_by_test_id("tickets")).to_contain_text(second.subject)
    if os.environ.get("TICKETS_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["TICKETS_SCREENSHOTS"], "list.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_agent_sees_a_conflict_and_keeps_their_input(page: Page, live_server, agent, supervisor):
    ticket = TicketFactory(subject="Line drops", assignee=agent)
    _login(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.get_by_label("Subject").fill("Line drops every evening")
    # Sam (the supervisor) changes the ticket while Alice is typing.
    ticket_update(ticket_id=ticket.pk, actor=supervisor, version=1, priority=4)
    page.get_by_role("button", name="Save").click()
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text("Sam")
    expect(conflict).to_contain_text("Urgent")
    expect(page.get_by_label("Subject")).to_have_value("Line drops every evening")
    if os.environ.get("TICKETS_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["TICKETS_SCREENSHOTS"], "conflict.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Line drops every evening")
