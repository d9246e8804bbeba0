"""The supervisor's wallboard on the real stack: uvicorn and the simulated ACD posting to it in real
time. The figures and the agent grid change on screen as calls come in, without reloading, and the
TV mode keeps them live on the big screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from telephony.models import FeedSource, Queue
from tests.browser.servers import asgi_server, simulator
from tests.callcenter.factories import PASSWORD

LIVE_TIMEOUT_MS = 60_000


@pytest.mark.django_db(transaction=True)
def test_supervisor_watches_the_wallboard_change_while_calls_come_in(page: Page, supervisor):
    Queue.objects.get_or_create(name="sales", defaults={"display_name": "Sales"})
    feed, _created = FeedSource.objects.get_or_create(name="simulator")
    with (
        asgi_server() as base,
        simulator(
            base,
            feed.secret,
            "--agents",
            "3",
            "--queues",
            "sales",
            "--calls-per-hour",
            "1800",
            "--patience",
            "0",
            "--no-recordings",
            "--duration",
            "900",
            "--seed",
            "11",
        ),
    ):
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(supervisor.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/wallboard/$"))
        expect(page.get_by_test_id("wallboard-status")).to_have_attribute("data-connected", "true")

        overall = page.get_by_test_id("tile-overall")
        offered = overall.get_by_test_id("figure-offered")
        # The simulated agents log in and take calls: the grid fills, then the counts climb.
        grid = page.get_by_test_id("agent-grid")
        expect(grid.locator("tr[data-agent]")).to_have_count(3, timeout=LIVE_TIMEOUT_MS)
        expect(offered).not_to_have_text(re.compile(r"^(0|—)$"), timeout=LIVE_TIMEOUT_MS)
        first = int(offered.inner_text().replace(",", ""))
        expect(offered).not_to_have_text(str(first), timeout=LIVE_TIMEOUT_MS)
        assert int(offered.inner_text().replace(",", "")) > first
        sales = page.get_by_test_id("tile-sales")
        expect(sales.get_by_test_id("figure-answered")).not_to_have_text(
            re.compile(r"^(0|—)$"), timeout=LIVE_TIMEOUT_MS
        )
        expect(sales.get_by_test_id("figure-service_level")).to_have_text(re.compile(r"^\d+\.\d %$"))
        busy = grid.locator("[data-state=on_call], [data-state=ringing], [data-state=wrap_up]")
        expect(busy.first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        # Time in state ticks in the browser between snapshots. A state change restarts the clock
        # (and may land on the same text), so only a window with the same `since` counts.
        clock = grid.locator("tr[data-agent=agent1] .wb-clock")
        for _attempt in range(10):
            since, before = clock.get_attribute("data-since"), clock.inner_text()
            page.wait_for_timeout(2_500)
            if clock.get_attribute("data-since") == since:
                assert clock.inner_text() != before
                break
        else:
            pytest.fail("agent1 changed state in every 2.5 s window: the clock could not be watched")

        page.get_by_test_id("tv-toggle").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\btv\b"))
        expect(page.locator(".topbar")).to_be_hidden()
        tv_offered = page.get_by_test_id("tile-overall").get_by_test_id("figure-offered")
        expect(tv_offered).not_to_have_text(re.compile(r"^(0|—)$"), timeout=LIVE_TIMEOUT_MS)
        now = tv_offered.inner_text()
        expect(tv_offered).not_to_have_text(now, timeout=LIVE_TIMEOUT_MS)
