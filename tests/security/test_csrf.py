"""CSRF: every POST form of every page carries the token and is refused without it; every write API
is refused to a session without the token (feeds authenticate with their own secret instead)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from tests.security.test_role_matrix import APIS, PAGES, visit
from tests.security.urls import all_routes, route_address
from tests.security.world import build_world

TEMPLATES = Path(settings.BASE_DIR) / "templates"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
POST = re.compile(r"""method=["']?post""", re.I)
UNSAFE = ("post", "put", "patch", "delete")


class _Forms(HTMLParser):
    """The POST forms of a page: (action, has a csrfmiddlewaretoken input)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list] = []
        self._open: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._open = None
            if (values.get("method") or "get").lower() == "post":
                self._open = [values.get("action") or "", False]
                self.forms.append(self._open)
        elif tag == "input" and self._open is not None and values.get("name") == "csrfmiddlewaretoken":
            self._open[1] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def test_every_post_form_in_the_templates_has_the_csrf_token():
    missing = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for form in FORM.findall(template.read_text()):
            opening = form.split(">", 1)[0]
            if POST.search(opening) and "{% csrf_token %}" not in form:
                missing.append(f"{template.relative_to(TEMPLATES)}: {opening}>")
    assert missing == []


@pytest.fixture
def world(personas):
    return build_world(personas)


def _forms_on_pages(world, personas) -> dict[tuple[str, str], str]:
    """(form action, identity) → the page it was found on, for every page each identity may open."""
    found: dict[tuple[str, str], str] = {}
    for identity in ("anonymous", *personas):
        client = Client()
        if identity != "anonymous":
            client.force_login(personas[identity])
        for route in all_routes():
            if route.route not in PAGES or identity not in PAGES[route.route]:
                continue
            if route.route in ("accounts/logout/", "i18n/setlang/"):
                continue  # no page of their own: they answer forms posted from other pages
            address = route_address(route, world)
            response = visit(client, address)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            parser = _Forms()
            parser.feed(response.content.decode())
            for action, has_token in parser.forms:
                target = urlsplit(urljoin(address, action)).path
                assert has_token, f"a POST form to {target} on {address} has no CSRF token"
                found.setdefault((target, identity), address)
    return found


def test_every_post_form_on_every_page_is_refused_without_the_token(world, personas):
    forms = _forms_on_pages(world, personas)
    targets = {target for target, _identity in forms}
    # The pages with forms, seen by the roles that may open them: a sanity floor, not an exact list.
    assert {"/accounts/login/", "/accounts/logout/", "/customers/new/", "/customers/import/"} <= targets
    assert len(targets) >= 30
    accepted = []
    for (target, identity), page in sorted(forms.items()):
        client = Client(enforce_csrf_checks=True)
        if identity != "anonymous":
            client.force_login(personas[identity])
        response = client.post(target, {"name": "x"})
        if response.status_code != 403 or b"CSRF" not in response.content:
            accepted.append(f"{target} (form on {page}) as {identity}: {response.status_code}")
    assert accepted == []


@pytest.mark.parametrize("persona", ["agent", "admin"])
def test_write_apis_refuse_a_session_without_the_token(world, personas, persona):
    from tests.security.test_schemathesis import FEED_PATHS

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas[persona])
    refused, accepted = 0, []
    for route in all_routes():
        if route.route not in APIS or "/" + route.route in FEED_PATHS:
            continue
        address = route_address(route, world)
        for method in UNSAFE:
            response = getattr(client, method)(address, {}, content_type="application/json")
            if response.status_code == 405:
                continue
            if response.status_code == 403 and b"CSRF" in response.content:
                refused += 1
            else:
                accepted.append(f"{method.upper()} {address}: {response.status_code}")
    assert accepted == []
    assert refused >= 40
