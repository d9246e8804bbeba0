"""Each role logs in through the real login form and sees its home and only its navigation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.callcenter.factories import PASSWORD

HOMES = {
    "agent": (
        "/desktop/",
        "Agent desktop",
        ["Desktop", "My schedule", "Customers", "Tickets", "Evaluations"],
    ),
    "supervisor": (
        "/wallboard/",
        "Wallboard",
        ["Customers", "Tickets", "Wallboard", "Reports", "Workforce", "Coaching", "Audit log"],
    ),
    "qa": ("/qa/", "QA queue", ["Customers", "Tickets", "QA queue"]),
    "admin": (
        "/console/",
        "Admin console",
        [
            "Customers",
            "Tickets",
            "Workforce",
            "QA queue",
            "Evaluations",
            "Coaching",
            "Admin console",
            "Audit log",
        ],
    ),
}


def _login(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", HOMES)
def test_role_sees_its_home_and_only_its_navigation(page: Page, live_server, personas, role):
    path, heading, nav = HOMES[role]
    _login(page, live_server.url, personas[role].username)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link")).to_have_text(nav)


@pytest.mark.django_db(transaction=True)
def test_switching_to_persian_turns_the_page_right_to_left(page: Page, live_server, agent):
    _login(page, live_server.url, agent.username)
    page.get_by_role("link", name="Preferences").click()
    page.get_by_label("Language").select_option("fa")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("navigation")).to_contain_text("میز کار")  # "Desktop"
