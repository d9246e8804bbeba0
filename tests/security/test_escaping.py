"""No user-controlled text is rendered as markup: a hostile payload in every field people type (names,
notes, subjects, comments, IVR prompts, scorecard guidance, coaching notes, …) and in every query
parameter comes out escaped on every page, for every role that may open it; and in every e-mail the
platform sends (their HTML parts, rendered from queue names the feed chose)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from kpi.services.reports import daily_report_send
from telephony.models import FeedSource
from telephony.services import call_events_ingest
from tests.kpi.factories import ReportSubscriptionFactory, call_events
from tests.security.test_role_matrix import PAGES, visit
from tests.security.urls import all_routes, route_address
from tests.security.world import build_world

PAYLOAD = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"
# What the payload would look like had it been rendered as markup (in text or breaking out of an attribute).
RAW = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(2)>")
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "\\u003Cscript\\u003Ealert(1)")  # HTML text, json_script
REFLECTED = {"q": PAYLOAD, "name": PAYLOAD, "phone": PAYLOAD, "next": PAYLOAD, "queue": PAYLOAD}
# Pages that show the payload stored in the world: the test must see it escaped there, or it proves nothing.
MUST_SHOW = {
    "/customers/{customer_id}/",
    "/tickets/{ticket_id}/",
    "/qa/evaluations/{evaluation_id}/",
    "/qa/scorecards/{scorecard_id}/",
    "/qa/coaching/{session_id}/",
    "/qa/calibrations/{calibration_id}/",
    "/console/ivr/{flow_id}/",
    "/console/teams/{team_id}/",
    "/console/skills/{skill_id}/",
    "/wfm/templates/{template_id}/",
    "/wfm/time-off/",
    "/desktop/calls/{call_id}/",
}


@pytest.fixture
def world(personas):
    return build_world(personas, text=PAYLOAD)


def _pages(personas):
    for route in all_routes():
        allowed = PAGES.get(route.route, frozenset())
        if route.route == "accounts/logout/":
            continue
        for identity in ("anonymous", *personas):
            if identity in allowed:
                yield route, identity


def test_user_text_and_query_parameters_are_escaped_on_every_page(world, personas):
    clients = {"anonymous": Client()}
    for role, user in personas.items():
        clients[role] = Client()
        clients[role].force_login(user)
    unsafe, shown, pages = [], set(), 0
    for route, identity in _pages(personas):
        address = route_address(route, world)
        for url in (address, f"{address}?{urlencode(REFLECTED)}"):
            response = visit(clients[identity], url)
            assert response.status_code < 500, f"{url} as {identity}: {response.status_code}"
            if "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            html = response.content.decode()
            unsafe += _unsafe(html, f"{url} as {identity}")
            if any(escaped in html for escaped in ESCAPED):
                shown.add(address)
    assert unsafe == []
    expected = {page.format(**{**world.ids, "call_id": world["call_id"]}) for page in MUST_SHOW}
    assert sorted(expected - shown) == []
    assert pages >= 150


def _unsafe(html: str, where: str) -> list[str]:
    found = []
    for raw in RAW:
        if raw in html:
            at = html.index(raw)
            found.append(f"{where}: …{html[max(0, at - 120) : at + 40]}…")
    return found


# --- e-mails ---------------------------------------------------------------------------------------
def _daily_report(world: Any, personas: dict[str, Any]) -> None:
    """The daily KPI report of the world's day, with a queue the feed named with the payload."""
    source = FeedSource.objects.get(name=settings.ACD_SOURCE)  # the world's call came from it
    events = call_events("hostile-queue-call", queue=PAYLOAD, queued=60, answered=70, ended=130)
    for event in events:
        event["source"] = source.name
    assert call_events_ingest(source=source, raw_events=events).rejected == []
    ReportSubscriptionFactory(user=personas["supervisor"], daily_email=True)
    assert daily_report_send(day=date(2026, 11, 23)) == 1


# Every e-mail template, and how to have the platform send it with the payload in its user text.
EMAILS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "kpi/email/daily_report.html": _daily_report,
}


def test_every_email_template_is_checked_here():
    """A new e-mail (an `email/` template, or one named *mail*) must join EMAILS to be checked."""
    templates = Path(settings.BASE_DIR) / "templates"
    found = {
        str(relative)
        for relative in (path.relative_to(templates) for path in templates.rglob("*.*"))
        if "email" in relative.parent.parts or "mail" in relative.name
    }
    assert found == set(EMAILS)


@pytest.mark.parametrize("template", sorted(EMAILS))
def test_user_text_is_escaped_in_every_email(world, personas, mailoutbox, template):
    EMAILS[template](world, personas)
    assert mailoutbox, f"{template}: nothing was sent"
    unsafe, shown = [], False
    for message in mailoutbox:
        assert "\n" not in message.subject and "<" not in message.subject
        for html, mimetype in message.alternatives:
            assert mimetype == "text/html"
            unsafe += _unsafe(html, f"{template} to {message.to}")
            shown = shown or any(escaped in html for escaped in ESCAPED)
        # The plain-text part is not markup: the name is shown as the feed sent it.
        assert PAYLOAD in message.body
    assert unsafe == []
    assert shown, f"{template}: the payload is not in the e-mail, so the test proves nothing"


def test_the_payload_is_stored_as_typed_not_mangled(world):
    from tickets.models import Customer

    assert Customer.objects.get(pk=world["customer_id"]).notes == f"Notes {PAYLOAD}"


def _our_files(root: Path, pattern: str) -> list[Path]:
    return [path for path in sorted(root.rglob(pattern)) if "vendor" not in path.parts]


def test_no_template_or_view_turns_escaping_off():
    base = Path(settings.BASE_DIR)
    offending = []
    sources = _our_files(base / "templates", "*.html")
    for app in ("callcenter", "agents", "kpi", "qa", "telephony", "tickets"):
        sources += _our_files(base / app, "*.py")
    for path in sources:
        text = path.read_text()
        for marker in ("|safe", "mark_safe(", "{% autoescape off", "SafeString(", "|safeseq"):
            if marker in text:
                offending.append(f"{path.relative_to(base)}: {marker}")
    assert offending == []


def test_no_script_puts_server_text_into_markup():
    """Our scripts build the page with textContent / createElement; the one HTML answer they show (the
    desk notice) is parsed inertly with DOMParser. Links from pushed alerts are this site's only."""
    offending = []
    for path in _our_files(Path(settings.BASE_DIR) / "static" / "js", "*.js"):
        text = path.read_text()
        for marker in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            if marker in text:
                offending.append(f"{path.name}: {marker}")
    assert offending == []
