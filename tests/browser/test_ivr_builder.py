"""An admin builds a two-level IVR in the browser, publishes it, and the simulated ACD's calls follow it."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from telephony.models import Call, IvrFlow, Queue
from tests.browser.servers import asgi_server
from tests.callcenter.factories import PASSWORD


def _node(page: Page, node_id: str):
    return page.get_by_test_id("ivr-tree").locator(f'[data-node="{node_id}"]')


@pytest.mark.django_db(transaction=True)
def test_admin_builds_and_publishes_a_two_level_ivr_that_calls_follow(page: Page, admin):
    for name in ("sales", "support"):
        Queue.objects.get_or_create(name=name)
    with asgi_server() as base:
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(admin.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/console/ivr/")
        page.locator("#id_name").fill("main")
        page.get_by_label("Display name").fill("Main line")
        page.get_by_role("button", name="Create flow").click()
        expect(page.locator("#ivr-builder")).to_have_attribute("data-ready", "true")

        # Level one: the main menu. Key 1 sends to sales; key 2 opens a submenu.
        node = page.get_by_test_id("ivr-node")
        node.get_by_label("Prompt", exact=True).fill("For sales press 1. For support press 2.")
        node.get_by_label("Key 1 goes to").select_option("new:queue")
        _node(page, "main-1").click()
        node.get_by_label("Queue").select_option("sales")
        _node(page, "main").click()
        node.get_by_role("button", name="Add key").click()
        node.get_by_label("Key 2 goes to").select_option("new:menu")

        # Level two: the support menu. Key 1 sends to support.
        _node(page, "main-2").click()
        node.get_by_label("Label").fill("Support menu")
        node.get_by_label("Prompt", exact=True).fill("For technical support press 1.")
        # Saved now, the server's checks say what stops publishing: a menu without keys.
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_test_id("ivr-status")).to_contain_text("Draft saved")
        expect(page.get_by_test_id("ivr-verdict")).to_have_text("1 problem(s) stop publishing.")
        expect(page.get_by_test_id("ivr-issues")).to_contain_text("A menu needs at least one key to press.")
        node.get_by_role("button", name="Add key").click()
        node.get_by_label("Key 1 goes to").select_option("new:queue")
        _node(page, "main-2-1").click()
        node.get_by_label("Queue").select_option("support")

        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_test_id("ivr-status")).to_contain_text("Draft saved")
        expect(page.get_by_test_id("ivr-verdict")).to_have_text("Ready to publish.")
        tree = page.get_by_test_id("ivr-tree")
        expect(tree).to_contain_text("Key 2 →")
        expect(tree).to_contain_text("Support menu")
        expect(tree).to_contain_text("Not reachable from the start")  # the old goodbye node
        if os.environ.get("IVR_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["IVR_SCREENSHOTS"], "builder.png"), full_page=True)

        page.get_by_label("Note for this version").fill("Two-level menu")
        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_test_id("ivr-published")).to_contain_text("Published: version 1", timeout=10_000)
        expect(page.get_by_test_id("ivr-versions")).to_contain_text("Two-level menu")

    flow = IvrFlow.objects.get(name="main")
    graph = flow.published.graph
    assert graph["nodes"]["main"]["options"] == {"1": "main-1", "2": "main-2"}
    assert graph["nodes"]["main-2"]["options"] == {"1": "main-2-1"}

    out = StringIO()
    call_command(
        "simulate_acd",
        "--direct",
        "--no-recordings",
        "--ivr-mistakes",
        "0",
        "--duration",
        "900",
        "--calls-per-hour",
        "40",
        "--seed",
        "8",
        "--start",
        "2030-01-07T09:00:00Z",
        stdout=out,
        stderr=StringIO(),
    )
    assert "IVR: flow 'main' version 1 (published)." in out.getvalue()
    calls = list(Call.objects.exclude(queue=None))
    assert {call.queue.name for call in calls} == {"sales", "support"}
    for call in calls:
        path = [(step["node"], step["digits"]) for step in call.ivr_path]
        expected = [("main", "1")] if call.queue.name == "sales" else [("main", "2"), ("main-2", "1")]
        assert path == expected
