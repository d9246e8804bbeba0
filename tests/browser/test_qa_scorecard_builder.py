"""A QA lead builds a scorecard in the browser: adds a section and questions, reorders, saves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from qa.models import Scorecard
from tests.browser.servers import asgi_server
from tests.callcenter.factories import PASSWORD
from tests.qa.factories import qa_lead


@pytest.mark.django_db(transaction=True)
def test_a_lead_builds_a_scorecard_with_sections_and_questions(page: Page):
    lead = qa_lead()
    with asgi_server() as base:
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(lead.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/qa/scorecards/new/")
        expect(page.get_by_test_id("section-title")).to_have_count(0)  # the script removed the spare rows
        page.get_by_label("Name", exact=True).fill("Support basics")
        page.get_by_test_id("add-section").click()
        page.get_by_test_id("section-title").fill("Opening")
        page.get_by_test_id("criterion-label").fill("Verified the caller")
        page.get_by_label("auto-fail on “no”").check()
        page.get_by_test_id("add-criterion").click()
        second = page.locator("[data-criterion]").nth(1)
        second.get_by_test_id("criterion-label").fill("Greeted the caller")
        second.get_by_role("button", name="↑").click()  # greeting first
        page.get_by_test_id("add-section").click()
        page.get_by_test_id("section-title").nth(1).fill("Resolution")
        third = page.locator("[data-section]").nth(1).locator("[data-criterion]").first
        third.get_by_test_id("criterion-label").fill("Solved it")
        third.get_by_label("Answer").select_option("scale")
        expect(third.get_by_label("Up to")).to_be_visible()
        third.get_by_label("Up to").fill("4")
        page.get_by_test_id("save-scorecard").click()
        expect(page.get_by_role("status").first).to_contain_text("Support basics")

    version = Scorecard.objects.get(name="Support basics").current_version
    opening, resolution = version.sections.order_by("order")
    assert [(c.label, c.auto_fail) for c in opening.criteria.all()] == [
        ("Greeted the caller", False),
        ("Verified the caller", True),
    ]
    assert [(c.label, c.kind, c.scale_max) for c in resolution.criteria.all()] == [("Solved it", "scale", 4)]
